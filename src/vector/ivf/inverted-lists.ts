/**
 * IVF's inverted lists: per list, fixed-size codes packed in one Uint8Array and their ids in a
 * Float64Array (ids are safe integers), plus one Map from id to its place. A place is packed in a
 * single number, row · lists + list, so the map holds no objects. A removal moves the list's last
 * entry into the hole: memory is reusable at once and scans never meet a tombstone.
 */
export class InvertedLists {
  readonly lists: number;
  readonly codeBytes: number;
  private readonly codes: Uint8Array[];
  private readonly idRows: Float64Array[];
  private readonly sizes: Int32Array;
  private readonly place = new Map<number, number>();

  constructor(lists: number, codeBytes: number) {
    this.lists = lists;
    this.codeBytes = codeBytes;
    this.codes = Array.from({ length: lists }, () => new Uint8Array(0));
    this.idRows = Array.from({ length: lists }, () => new Float64Array(0));
    this.sizes = new Int32Array(lists);
  }

  get size(): number {
    return this.place.size;
  }

  has(id: number): boolean {
    return this.place.has(id);
  }

  sizeOf(list: number): number {
    return this.sizes[list] ?? 0;
  }

  /** The codes of a list, codeBytes apart; valid until the next add to that list. */
  codesOf(list: number): Uint8Array {
    return this.codes[list] ?? new Uint8Array(0);
  }

  idsOf(list: number): Float64Array {
    return this.idRows[list] ?? new Float64Array(0);
  }

  /** Reserves room for one more entry in `list` and records id there; returns the byte offset to write its code at. */
  add(id: number, list: number): number {
    this.remove(id);
    const row = this.sizes[list] ?? 0;
    let ids = this.idRows[list] ?? new Float64Array(0);
    if (row === ids.length) {
      const capacity = Math.max(8, Math.ceil(row * 1.5));
      const grownIds = new Float64Array(capacity);
      grownIds.set(ids);
      ids = grownIds;
      this.idRows[list] = ids;
      const grownCodes = new Uint8Array(capacity * this.codeBytes);
      grownCodes.set(this.codes[list] ?? new Uint8Array(0));
      this.codes[list] = grownCodes;
    }
    ids[row] = id;
    this.sizes[list] = row + 1;
    this.place.set(id, row * this.lists + list);
    return row * this.codeBytes;
  }

  remove(id: number): boolean {
    const at = this.place.get(id);
    if (at === undefined) return false;
    this.place.delete(id);
    const list = at % this.lists;
    const row = (at - list) / this.lists;
    const last = (this.sizes[list] ?? 1) - 1;
    this.sizes[list] = last;
    if (row !== last) {
      const ids = this.idsOf(list);
      const moved = ids[last] ?? 0;
      ids[row] = moved;
      const codes = this.codesOf(list);
      codes.copyWithin(row * this.codeBytes, last * this.codeBytes, (last + 1) * this.codeBytes);
      this.place.set(moved, row * this.lists + list);
    }
    return true;
  }

  /** Drops every entry, keeping nothing allocated. */
  clear(): void {
    this.place.clear();
    this.sizes.fill(0);
    this.codes.fill(new Uint8Array(0));
    this.idRows.fill(new Float64Array(0));
  }

  /** Shrinks each list's arrays to its entries, giving growth slack back. */
  trim(): void {
    for (let list = 0; list < this.lists; list++) {
      const n = this.sizes[list] ?? 0;
      this.idRows[list] = this.idsOf(list).slice(0, n);
      this.codes[list] = this.codesOf(list).slice(0, n * this.codeBytes);
    }
  }

  memoryBytes(): number {
    let bytes = this.sizes.byteLength;
    for (let list = 0; list < this.lists; list++)
      bytes += this.codesOf(list).byteLength + this.idsOf(list).byteLength;
    // A Map entry costs roughly 40 bytes in V8 (key, value, hash chain); close enough for metrics.
    return bytes + this.place.size * 40;
  }
}
