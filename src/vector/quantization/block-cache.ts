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

/**
 * A file registered with a BlockCache: its cached blocks by number, and their bytes. Callers only
 * hand it back to the cache.
 */
export interface CacheFile {
  readonly blocks: Map<number, Cached>;
  /** Blocks of this file missed once lately and not cached: a second miss caches them. */
  readonly seen: Set<number>;
  bytes: number;
}

/**
 * A cached block, a link in the recency list (newest first). An evicted entry is reused, buffer
 * and all, for the block that evicted it, so a miss makes no garbage once the cache is full.
 */
interface Cached {
  block: number;
  file: CacheFile;
  readonly data: Uint8Array;
  newer: Cached | undefined;
  older: Cached | undefined;
}

/**
 * One least-recently-used cache of fixed-size disk blocks, shared by every store that registers
 * with it, so that one budget bounds the process (the memory budget a user sets once, as
 * Qdrant's page cache is one per machine). `budget` is a hard bound on the bytes of cached blocks;
 * the bookkeeping (a Map entry and an object per block) is outside it.
 *
 * A block is cached on its second miss, not its first (the admission of 2Q, Johnson & Shasha
 * 1994): a miss on a block not seen lately is read into one staging buffer and only remembered,
 * in a ring of `ghosts` block numbers (twice as many as the budget holds 4 KiB blocks), and a
 * miss on a remembered one caches it. Rescoring reads scattered rows, most of them once; caching
 * each of them would evict a block that may be read again for one that likely is not, and reading
 * into an evicted block's buffer, which the CPU no longer has in cache, costs more than reading
 * into the staging buffer it does have: with the file in the OS page cache, always caching made
 * rescoring slower than no cache at all (measured ad hoc). Blocks read again and again get in.
 *
 * Every rescored candidate goes through `read`, so it is kept cheap: each file has its own Map,
 * keyed by small integers (block numbers), and recency is a doubly linked list through the
 * entries, so a hit and an eviction are O(1). (Using one Map's insertion order instead, with a
 * delete and a set per hit, made each eviction walk the deleted entries at the front of the Map's
 * table, which a profile showed as most of a miss's cost.)
 */
export class BlockCache {
  #newest: Cached | undefined;
  #oldest: Cached | undefined;
  #blocks = 0;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  /** What a miss that is not cached reads into. */
  #staging = new Uint8Array(0);
  /** The ring of blocks missed once, oldest overwritten first: their files and numbers. */
  readonly #ghostFiles: (CacheFile | undefined)[];
  readonly #ghostBlocks: Float64Array;
  #nextGhost = 0;

  constructor(readonly budget: number) {
    const ghosts = Math.max(64, 2 * Math.ceil(budget / 4096));
    this.#ghostFiles = new Array<CacheFile | undefined>(ghosts).fill(undefined);
    this.#ghostBlocks = new Float64Array(ghosts);
  }

  /** A new file's handle, to pass to the other calls. */
  register(): CacheFile {
    return { blocks: new Map(), seen: new Set(), bytes: 0 };
  }

  /**
   * The bytes of `block` of `file`: from the cache (a hit), or read from `source` (a miss), and
   * cached if this is its second miss lately, evicting the oldest blocks until it fits. Valid
   * until the next call on the cache.
   */
  read(file: CacheFile, block: number, size: number, source: BlockSource): Uint8Array {
    const cached = file.blocks.get(block);
    if (cached !== undefined) {
      this.#hits++;
      if (cached !== this.#newest) {
        this.#unlink(cached);
        this.#pushNewest(cached);
      }
      return cached.data;
    }
    this.#misses++;
    if (size > this.budget || !this.#admit(file, block)) {
      if (this.#staging.length !== size) this.#staging = new Uint8Array(size);
      source.readBlock(block, this.#staging);
      return this.#staging;
    }
    let entry: Cached | undefined;
    while (this.#bytes + size > this.budget) {
      const evicted = this.#evictOldest();
      if (evicted === undefined) break;
      // Blocks are mostly of one size: reuse the evicted entry rather than make garbage.
      if (evicted.data.length === size) entry = evicted;
    }
    if (entry === undefined) {
      entry = { block, file, data: new Uint8Array(size), newer: undefined, older: undefined };
    } else {
      entry.block = block;
      entry.file = file;
    }
    source.readBlock(block, entry.data);
    file.blocks.set(block, entry);
    this.#pushNewest(entry);
    this.#account(file, size);
    return entry.data;
  }

  /** The cached bytes of a block, without counting a hit or refreshing it; for write-through. */
  peek(file: CacheFile, block: number): Uint8Array | undefined {
    return file.blocks.get(block)?.data;
  }

  /** Forgets every block of `file` (closed or deleted). */
  drop(file: CacheFile): void {
    for (const cached of file.blocks.values()) {
      this.#unlink(cached);
      this.#account(file, -cached.data.length);
    }
    file.blocks.clear();
    file.seen.clear();
  }

  /** Bytes cached for `file`: the part of the budget its store holds in RAM. */
  bytesOf(file: CacheFile): number {
    return file.bytes;
  }

  stats(): BlockCacheStats {
    return {
      bytes: this.#bytes,
      budget: this.budget,
      blocks: this.#blocks,
      hits: this.#hits,
      misses: this.#misses,
    };
  }

  // Whether a missed block is to be cached: yes if it was missed lately, else it is remembered. A
  // ghost overwritten in the ring is forgotten, even if its block was remembered again since:
  // the ring only approximates "lately".
  #admit(file: CacheFile, block: number): boolean {
    if (file.seen.delete(block)) return true;
    const at = this.#nextGhost;
    this.#ghostFiles[at]?.seen.delete(this.#ghostBlocks[at] ?? 0);
    this.#ghostFiles[at] = file;
    this.#ghostBlocks[at] = block;
    this.#nextGhost = (at + 1) % this.#ghostBlocks.length;
    file.seen.add(block);
    return false;
  }

  #evictOldest(): Cached | undefined {
    const oldest = this.#oldest;
    if (oldest === undefined) return undefined;
    oldest.file.blocks.delete(oldest.block);
    this.#unlink(oldest);
    this.#account(oldest.file, -oldest.data.length);
    return oldest;
  }

  #pushNewest(entry: Cached): void {
    entry.older = this.#newest;
    entry.newer = undefined;
    if (this.#newest === undefined) this.#oldest = entry;
    else this.#newest.newer = entry;
    this.#newest = entry;
  }

  #unlink(entry: Cached): void {
    if (entry.newer === undefined) this.#newest = entry.older;
    else entry.newer.older = entry.older;
    if (entry.older === undefined) this.#oldest = entry.newer;
    else entry.older.newer = entry.newer;
    entry.newer = undefined;
    entry.older = undefined;
  }

  // Keeps the totals: bytes and blocks, for the cache and for the file.
  #account(file: CacheFile, bytes: number): void {
    this.#bytes += bytes;
    this.#blocks += Math.sign(bytes);
    file.bytes += bytes;
  }
}
