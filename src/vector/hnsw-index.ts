import { buildBatch } from './build/build-batch.js';
import type { BuildPool } from './build/build-pool.js';
import type { Engine } from './engine/engine.js';
import { createSharedWasmEngine, type SharedWasmEngine } from './engine/wasm-engine.js';
import { fillAllowMask, type SlotSpace } from './filter/id-mask.js';
import { createEngine } from './engine/select.js';
import { hnswLayout, type HnswLayout } from './hnsw-layout.js';
import { checkVector } from './metric.js';
import { mulberry32 } from './random.js';
import { float32Encoding, type RowEncoding } from './row-encoding.js';
import type { BackendChoice, IdFilter, Metric, SearchHit, SearchOptions, VectorIndex } from './types.js';

export interface HnswIndexOptions {
  readonly dimension: number;
  readonly metric: Metric;
  /** Links per node on upper layers (M); layer 0 gets 2M (Mmax0, section 4.1). Default 16. */
  readonly m?: number;
  /** Beam width while inserting. Default 200. */
  readonly efConstruction?: number;
  /** Beam width of a search that names none. Default 64. */
  readonly ef?: number;
  /** Nodes to reserve up front; storage grows by half again when full. Default 1024. */
  readonly capacity?: number;
  /** Seed of the level generator: the same inserts build the same graph. */
  readonly seed?: number;
  /**
   * Rebuild without tombstones once this fraction of stored nodes is deleted (0 turns it off;
   * `compact()` still works). Default 0.5. The rebuild runs inside the delete that crosses it.
   */
  readonly compactionThreshold?: number;
  readonly backend?: BackendChoice;
  /**
   * How records store vectors: float32 by default, or a quantizer's codes (quantization/), which
   * the graph is then built and searched over; keeping the originals is then the caller's job.
   */
  readonly encoding?: RowEncoding;
  /**
   * Worker threads for `upsertMany`: large bulk inserts search their neighbours on them
   * (docs/decisions/0016). Without a pool, every insert is serial.
   */
  readonly buildPool?: BuildPool;
}

const FLAG_DELETED = 1;

/** Writes a point's row (vector or codes) at byte `at` of the index's memory. */
type RowWriter = (buffer: ArrayBuffer, at: number) => void;
/**
 * Points per batch of a parallel build, and the fewest an `upsertMany` needs to take that path.
 * The graph depends on it (a batch's points see each other exactly, not through the graph), so it
 * is fixed rather than derived from the thread count; 256 keeps a batch's exact comparisons (128
 * per point on average) small beside an insert's search, and a batch long enough to amortise the
 * hand-over to the workers.
 */
export const BUILD_BATCH = 256;

/**
 * HNSW index (Malkov & Yashunin). Vectors, links and the search scratch live in one linear memory
 * per index, and INSERT and K-NN-SEARCH each run as one WebAssembly call (wasm/hnsw.as). This class
 * keeps what the algorithm does not need: ids, levels drawn from a seeded generator, growth, and
 * deletes.
 *
 * Deletes are tombstones, as in hnswlib's markDelete: the node stays a waypoint so that the graph
 * stays connected, and search never returns it. Unlike hnswlib, the space comes back: past
 * `compactionThreshold` (or on `compact()`) the live nodes are re-inserted into a fresh memory,
 * which is the only way to shrink a WebAssembly memory. In-place repair of the deleted node's
 * neighbourhood (hnswlib's repairConnectionsForUpdate) would avoid the full rebuild; not done yet.
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw';
  readonly exact = false;
  readonly reclaim = 'compaction';
  readonly dimension: number;
  readonly metric: Metric;
  readonly m: number;
  readonly efConstruction: number;
  readonly ef: number;
  private readonly options: HnswIndexOptions;
  private readonly mL: number;
  private readonly encoding: RowEncoding;
  private random: () => number;
  private engine: Engine;
  /** The engine again once the memory is shared with build workers (after the first parallel batch). */
  private shared: SharedWasmEngine | undefined;
  private layout: HnswLayout;
  private used = 0;
  private deleted = 0;
  private arenaUsed = 0;
  private ids = new Float64Array(0);
  private slotOf = new Map<number, number>();
  /**
   * The filter whose allow mask is in memory now, and how many slots it allows: a batch of
   * searches sharing one filter object writes the mask once (docs/decisions/0015). Any change to
   * the slots or the memory's layout forgets it. Held weakly: a large id list is not kept alive
   * for a search that may never come.
   */
  private masked: { readonly filter: WeakRef<IdFilter>; readonly allowed: number } | undefined;

  constructor(options: HnswIndexOptions) {
    this.options = options;
    this.dimension = options.dimension;
    this.metric = options.metric;
    this.m = options.m ?? 16;
    this.efConstruction = options.efConstruction ?? 200;
    this.ef = options.ef ?? 64;
    this.mL = 1 / Math.log(this.m);
    this.encoding = options.encoding ?? float32Encoding(this.dimension, this.metric);
    this.random = mulberry32(options.seed ?? 100);
    this.engine = createEngine(options.backend ?? 'auto');
    const capacity = Math.max(options.capacity ?? 1024, 1);
    this.layout = hnswLayout(this.dimension, this.encoding.rowBytes, this.m, 0, 0, 0);
    this.relayout(capacity, this.arenaFor(capacity), Math.max(this.efConstruction, this.ef, 2 * this.m + 1));
  }

  get backend(): Engine['backend'] {
    return this.engine.backend;
  }

  get size(): number {
    return this.slotOf.size;
  }

  // Expected upper-layer blocks per node: sum over l >= 1 of P(level >= l) = 1 / (M - 1).
  private arenaFor(capacity: number): number {
    return Math.ceil(((capacity * 1.25) / (this.m - 1)) * (this.m + 1) * 4) + 1024;
  }

  private relayout(capacity: number, arenaBytes: number, resultCap: number): void {
    this.masked = undefined;
    const old = this.layout;
    const next = hnswLayout(this.dimension, this.encoding.rowBytes, this.m, capacity, arenaBytes, resultCap);
    this.engine.grow(next.total);
    const bytes = new Uint8Array(this.engine.buffer());
    // next.arena >= old.arena, and copyWithin is a memmove: overlap is safe.
    if (this.arenaUsed > 0) bytes.copyWithin(next.arena, old.arena, old.arena + this.arenaUsed);
    bytes.fill(0, next.visited, next.visited + 2 * capacity);
    if (capacity > this.ids.length) {
      const ids = new Float64Array(capacity);
      ids.set(this.ids.subarray(0, this.used));
      this.ids = ids;
    }
    this.layout = next;
    this.engine.configure(
      this.encoding.kernel,
      this.dimension,
      this.m,
      this.efConstruction,
      next.capacity,
      next.nodes,
      next.recBytes,
      next.headerOffset,
      next.visited,
      next.arena,
      next.scratch,
      next.resultCap,
    );
  }

  // Section 4.1: l = floor(-ln(U) * mL), mL = 1 / ln(M). 1 - U keeps the logarithm finite.
  private randomLevel(): number {
    return Math.floor(-Math.log(1 - this.random()) * this.mL);
  }

  upsert(id: number, vector: ArrayLike<number>): void {
    checkVector(vector, this.dimension, 'vector');
    this.place(id, (buffer, at) => {
      this.encoding.write(buffer, at, vector);
    });
  }

  /**
   * Inserts or replaces many points, in order, as `upsert` one by one would. With a build pool, on
   * the WebAssembly backend, and at least BUILD_BATCH points, they go in
   * batches of BUILD_BATCH whose neighbour searches run on the pool's workers; the graph then
   * depends on the batches, never on the thread count. Every vector is checked before any goes in.
   */
  upsertMany(ids: ArrayLike<number>, vectors: readonly ArrayLike<number>[]): void {
    for (const vector of vectors) checkVector(vector, this.dimension, 'vector');
    this.placeMany(
      Math.min(ids.length, vectors.length),
      (i) => ids[i] ?? -1,
      (i) => (buffer, at) => {
        this.encoding.write(buffer, at, vectors[i] ?? []);
      },
    );
  }

  // Places and inserts points 0..count-1, in batches on the build pool when there is one and
  // enough points, one by one otherwise.
  private placeMany(count: number, idAt: (i: number) => number, writerAt: (i: number) => RowWriter): void {
    const pool = this.options.buildPool;
    const parallel = pool?.parallel === true && this.engine.backend === 'wasm-simd' && count >= BUILD_BATCH;
    for (let from = 0; from < count; from += BUILD_BATCH) {
      const to = Math.min(count, from + BUILD_BATCH);
      if (parallel) {
        this.insertBatch(idAt, writerAt, from, to, pool);
        continue;
      }
      for (let i = from; i < to; i++) this.place(idAt(i), writerAt(i));
    }
  }

  // Batch-parallel INSERT (wasm/hnsw.as, findNeighbours and linkPart): place every point, search
  // their neighbours in the graph as it was before the batch, then link them as if in slot order,
  // both on the pool's threads. If the searches fail, the placed points are inserted serially
  // instead: they wrote nothing but their own output, so the graph is as before the batch.
  private insertBatch(
    idAt: (i: number) => number,
    writerAt: (i: number) => RowWriter,
    from: number,
    to: number,
    pool: BuildPool,
  ): void {
    const engine = this.shareMemory();
    const entryPoint = engine.getEntryPoint();
    const entryLevel = engine.getMaxLevel();
    const batchStart = this.used;
    const levels: number[] = [];
    for (let i = from; i < to; i++) {
      const level = this.randomLevel();
      levels.push(level);
      this.reserve(idAt(i), level, writerAt(i));
    }
    const built = buildBatch(pool, engine, this.layout, {
      kernel: this.encoding.kernel,
      dim: this.dimension,
      m: this.m,
      efConstruction: this.efConstruction,
      entryPoint,
      entryLevel,
      batchStart,
      levels,
    });
    if (!built) {
      levels.forEach((level, i) => {
        engine.insert(batchStart + i, level);
      });
    }
  }

  // Moves the index into a memory that build workers can share, once: the same bytes, so the
  // same graph; the visited marks are cleared by relayout, since configure() restarts their epoch.
  private shareMemory(): SharedWasmEngine {
    if (this.shared !== undefined) return this.shared;
    const old = this.engine;
    const bytes = new Uint8Array(old.buffer());
    const shared = createSharedWasmEngine(bytes.byteLength);
    new Uint8Array(shared.buffer()).set(bytes);
    this.engine = shared;
    this.shared = shared;
    this.relayout(this.layout.capacity, this.layout.arenaBytes, this.layout.resultCap);
    shared.setEntryPoint(old.getEntryPoint(), old.getMaxLevel());
    return shared;
  }

  private place(id: number, write: RowWriter): void {
    const level = this.randomLevel();
    const slot = this.reserve(id, level, write);
    this.engine.insert(slot, level);
  }

  // Stores a point at the next slot with its level and no links yet; returns the slot.
  private reserve(id: number, level: number, write: RowWriter): number {
    this.masked = undefined;
    const old = this.slotOf.get(id);
    if (old !== undefined) this.tombstone(old);
    const { layout } = this;
    if (this.used === layout.capacity) {
      const capacity = Math.ceil(layout.capacity * 1.5);
      this.relayout(capacity, Math.max(layout.arenaBytes, this.arenaFor(capacity)), layout.resultCap);
    }
    const blockBytes = (this.m + 1) * 4;
    const upperBytes = level * blockBytes;
    if (this.arenaUsed + upperBytes > this.layout.arenaBytes) {
      this.relayout(this.layout.capacity, 2 * (this.arenaUsed + upperBytes), this.layout.resultCap);
    }
    const slot = this.used++;
    const { headerOffset, arena } = this.layout;
    const buffer = this.engine.buffer();
    const w = new Int32Array(buffer);
    const rec = (this.recordAt(slot) + headerOffset) >> 2;
    w[rec] = level;
    w[rec + 1] = level > 0 ? this.arenaUsed : 0;
    w[rec + 2] = 0;
    w[rec + 3] = 0;
    for (let l = 0; l < level; l++) w[(arena + this.arenaUsed + l * blockBytes) >> 2] = 0;
    this.arenaUsed += upperBytes;
    write(buffer, this.recordAt(slot));
    this.ids[slot] = id;
    this.slotOf.set(id, slot);
    return slot;
  }

  private tombstone(slot: number): void {
    this.masked = undefined;
    const w = new Int32Array(this.engine.buffer());
    const flags = (this.recordAt(slot) + this.layout.headerOffset + 8) >> 2;
    w[flags] = (w[flags] ?? 0) | FLAG_DELETED;
    this.slotOf.delete(this.ids[slot] ?? -1);
    this.deleted++;
  }

  delete(id: number): boolean {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return false;
    this.tombstone(slot);
    const threshold = this.options.compactionThreshold ?? 0.5;
    if (threshold > 0 && this.deleted >= threshold * this.used) this.compact();
    return true;
  }

  has(id: number): boolean {
    return this.slotOf.has(id);
  }

  search(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    checkVector(query, this.dimension, 'query');
    return this.searchChecked(query, k, options);
  }

  /**
   * `search` for a caller that has checked the query already: an index wrapping this one (the
   * quantized index), which would otherwise check every component twice.
   */
  searchChecked(query: ArrayLike<number>, k: number, options: SearchOptions = {}): SearchHit[] {
    const want = Math.max(Math.floor(k), 0);
    if (want === 0 || this.slotOf.size === 0) return [];
    const { filter, exact = false } = options;
    const ef = Math.max(options.ef ?? this.ef, want);
    // Relayout first: it moves the scratch and the mask that the steps below write.
    if (ef > this.layout.resultCap) this.relayout(this.layout.capacity, this.layout.arenaBytes, ef);
    // The unfiltered graph search reads the deleted flags itself and needs no mask.
    let mask = 0;
    if (filter !== undefined || (exact && this.deleted > 0)) {
      mask = this.layout.mask;
      if (this.allowMask(filter) === 0) return [];
    }
    const { nodes, recBytes } = this.layout;
    this.encoding.write(this.engine.buffer(), this.engine.queryPointer(), query);
    const at = this.engine.resultsPointer();
    const n = exact
      ? this.engine.flatSearch(
          this.encoding.kernel,
          this.engine.queryPointer(),
          nodes,
          recBytes,
          this.used,
          this.dimension,
          want,
          at,
          mask,
        )
      : this.engine.knnSearch(want, ef, mask, this.deleted > 0 ? 1 : 0);
    const { trace } = options;
    if (trace !== undefined) {
      trace.mode = exact ? 'scan' : 'graph';
      trace.ef = exact ? undefined : ef;
      trace.scored += this.engine.scoredCount();
    }
    const buffer = this.engine.buffer();
    const f = new Float32Array(buffer, at, 2 * n);
    const w = new Int32Array(buffer, at, 2 * n);
    const hits: SearchHit[] = [];
    for (let i = 0; i < n; i++) {
      hits.push({ id: this.ids[w[2 * i + 1] ?? 0] ?? -1, distance: f[2 * i] ?? 0 });
    }
    return hits;
  }

  // Writes the allow mask of `filter`, unless it is the one in memory already; returns how many
  // slots it allows.
  private allowMask(filter: IdFilter | undefined): number {
    if (filter !== undefined && this.masked?.filter.deref() === filter) return this.masked.allowed;
    const bytes = new Uint8Array(this.engine.buffer(), this.layout.mask, this.used);
    const allowed = fillAllowMask(bytes, this.slotSpace(), filter);
    // A predicate may answer differently next time; a list of ids is taken as fixed.
    this.masked =
      filter === undefined || typeof filter === 'function'
        ? undefined
        : { filter: new WeakRef(filter), allowed };
    return allowed;
  }

  // The index's slots as fillAllowMask sees them: a slot is live unless its deleted flag is set.
  private slotSpace(): SlotSpace {
    const flags = new Int32Array(this.engine.buffer());
    const { headerOffset } = this.layout;
    return {
      slots: this.used,
      slotOf: (id) => this.slotOf.get(id),
      idAt: (slot) =>
        ((flags[(this.recordAt(slot) + headerOffset + 8) >> 2] ?? 0) & FLAG_DELETED) === 0
          ? this.ids[slot]
          : undefined,
    };
  }

  /**
   * Re-inserts the live nodes, in slot order, into a fresh memory sized for them; tombstones and
   * their memory are gone afterwards. Stored vectors are copied bit for bit (cosine vectors are
   * not normalised twice).
   */
  compact(): void {
    const fresh = new HnswIndex({
      ...this.options,
      backend: this.engine.backend,
      capacity: Math.max(this.slotOf.size, this.options.capacity ?? 1024, 1),
    });
    fresh.random = this.random;
    const source = new Uint8Array(this.engine.buffer());
    const { rowBytes } = this.encoding;
    const live: number[] = [];
    for (let slot = 0; slot < this.used; slot++) {
      if (this.slotOf.get(this.ids[slot] ?? -1) === slot) live.push(slot);
    }
    // A rebuild is a bulk load: on the build pool when the index has one.
    fresh.placeMany(
      live.length,
      (i) => this.ids[live[i] ?? 0] ?? -1,
      (i) => {
        const from = this.recordAt(live[i] ?? 0);
        return (buffer, at) => {
          new Uint8Array(buffer).set(source.subarray(from, from + rowBytes), at);
        };
      },
    );
    this.masked = undefined;
    this.engine = fresh.engine;
    this.shared = fresh.shared;
    this.layout = fresh.layout;
    this.used = fresh.used;
    this.deleted = 0;
    this.arenaUsed = fresh.arenaUsed;
    this.ids = fresh.ids;
    this.slotOf = fresh.slotOf;
  }

  /**
   * A copy of the stored vector (normalised for cosine), or undefined for an unknown id. For an
   * encoding other than float32, these are the row's bytes seen as floats: ask the quantizer.
   */
  vector(id: number): Float32Array | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    const from = this.recordAt(slot) >> 2;
    return new Float32Array(this.engine.buffer()).slice(from, from + this.dimension);
  }

  /** The exact distance from `query` to the stored vector of `id`, in the same units as search. */
  distanceTo(id: number, query: ArrayLike<number>): number | undefined {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return undefined;
    const queryAt = this.engine.queryPointer();
    this.encoding.write(this.engine.buffer(), queryAt, query);
    return this.engine.distance(this.encoding.kernel, queryAt, this.recordAt(slot), this.dimension);
  }

  /** Byte address of a slot's record, which starts with its vector. */
  private recordAt(slot: number): number {
    return this.layout.nodes + slot * this.layout.recBytes;
  }

  /** Bytes of the stored rows (float32 vectors or codes) of the live points, graph and ids apart. */
  vectorBytes(): number {
    return this.slotOf.size * this.encoding.rowBytes;
  }

  memoryBytes(): number {
    // A Map entry costs roughly 40 bytes in V8 (key, value, hash chain); close enough for metrics.
    return this.engine.buffer().byteLength + this.ids.byteLength + this.slotOf.size * 40;
  }
}
