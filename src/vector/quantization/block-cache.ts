/** What a BlockCache holds and has done since it was made. */
export interface BlockCacheStats {
  /** Bytes of cached blocks, never above `budget`. */
  readonly bytes: number;
  readonly budget: number;
  readonly blocks: number;
  readonly hits: number;
  readonly misses: number;
}

/** Where a missed block is read from: its file. */
export interface BlockSource {
  /** Fills `into` with block `block` (zeros past the end of the file). */
  readBlock(block: number, into: Uint8Array): void;
}

interface Cached {
  readonly file: number;
  readonly data: Uint8Array;
}

// A block number takes the low 32 bits of a key, the file the bits above (2^53 / 2^32 files).
const FILE_STRIDE = 2 ** 32;

/**
 * One least-recently-used cache of fixed-size disk blocks, shared by every store that registers
 * with it, so that one budget bounds the process (the memory budget a user sets once, as
 * Qdrant's page cache is one per machine). `budget` is a hard bound on the bytes of cached blocks;
 * the bookkeeping (one Map entry per block) is outside it. A Map keeps insertion order, so
 * re-inserting a block on a hit makes it the newest and the first key is always the oldest.
 */
export class BlockCache {
  readonly #blocks = new Map<number, Cached>();
  readonly #fileBytes = new Map<number, number>();
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #nextFile = 0;
  /** Read buffer for a block larger than the whole budget, which is then never cached. */
  #spare = new Uint8Array(0);

  constructor(readonly budget: number) {}

  /** A number for a new file's blocks. */
  register(): number {
    const file = this.#nextFile++;
    this.#fileBytes.set(file, 0);
    return file;
  }

  /**
   * The bytes of `block` of `file`: from the cache (a hit), or read from `source` (a miss) and
   * cached, evicting the oldest blocks until it fits. Valid until the next call on the cache.
   */
  read(file: number, block: number, size: number, source: BlockSource): Uint8Array {
    const key = file * FILE_STRIDE + block;
    const cached = this.#blocks.get(key);
    if (cached !== undefined) {
      this.#hits++;
      this.#blocks.delete(key);
      this.#blocks.set(key, cached);
      return cached.data;
    }
    this.#misses++;
    if (size > this.budget) {
      if (this.#spare.length !== size) this.#spare = new Uint8Array(size);
      source.readBlock(block, this.#spare);
      return this.#spare;
    }
    let data: Uint8Array | undefined;
    while (this.#bytes + size > this.budget) {
      const evicted = this.#evictOldest();
      if (evicted === undefined) break;
      // Blocks are mostly of one size: reuse the evicted buffer rather than make garbage.
      if (evicted.length === size) data = evicted;
    }
    data ??= new Uint8Array(size);
    source.readBlock(block, data);
    this.#blocks.set(key, { file, data });
    this.#account(file, size);
    return data;
  }

  /** The cached bytes of a block, without counting a hit or refreshing it; for write-through. */
  peek(file: number, block: number): Uint8Array | undefined {
    return this.#blocks.get(file * FILE_STRIDE + block)?.data;
  }

  /** Forgets every block of `file` (closed or deleted). */
  drop(file: number): void {
    for (const [key, cached] of this.#blocks) {
      if (cached.file !== file) continue;
      this.#blocks.delete(key);
      this.#bytes -= cached.data.length;
    }
    this.#fileBytes.delete(file);
  }

  /** Bytes cached for `file`: the part of the budget its store holds in RAM. */
  bytesOf(file: number): number {
    return this.#fileBytes.get(file) ?? 0;
  }

  stats(): BlockCacheStats {
    return {
      bytes: this.#bytes,
      budget: this.budget,
      blocks: this.#blocks.size,
      hits: this.#hits,
      misses: this.#misses,
    };
  }

  #evictOldest(): Uint8Array | undefined {
    const oldest = this.#blocks.entries().next();
    if (oldest.done === true) return undefined;
    const [key, cached] = oldest.value;
    this.#blocks.delete(key);
    this.#account(cached.file, -cached.data.length);
    return cached.data;
  }

  #account(file: number, bytes: number): void {
    this.#bytes += bytes;
    this.#fileBytes.set(file, (this.#fileBytes.get(file) ?? 0) + bytes);
  }
}
