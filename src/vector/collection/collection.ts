import type { BuildPool } from '../build/index.js';
import { BUILD_BATCH, HnswIndex } from '../hnsw-index.js';
import { QuantizedHnswIndex } from '../quantization/quantized-index.js';
import { PcaIndex } from '../reduced/pca-index.js';
import { ByteReader, type ByteSource } from '../storage/byte-source.js';
import { STATE_FORMAT, framed, pointsPerBlock, stateBlocks, type StateHeader } from './state-format.js';
import {
  PayloadIndexes,
  estimateMatches,
  matchingPoints,
  searchMatching,
  type Filter,
  type FilteredSearchPlan,
  type FilterSource,
  type MatchingPoints,
} from '../filter/index.js';
import type { Backend, IdFilter, QuantizationSearchParams, SearchHit, SearchTrace } from '../types.js';
import type { Operation, PointWrite } from './operations.js';
import type { CollectionParams } from './params.js';
import { deletePayloadKeys, mergePayload, type Payload } from './payload.js';
import { comparePointIds, type PointId } from './point-id.js';
import { turnChunks } from './turn-chunks.js';
import { indexFor, type CollectionIndex, type FullVectorsPlacement } from './collection-index.js';
import { higherIsBetter, toScore } from './scores.js';

/**
 * Points a restore or a large upsert indexes between the event loop's turns: one build batch, the
 * least that keeps a parallel build's batches whole (a batch runs to its end once started), so
 * that each turn holds the loop for as little as a batch takes (tens of milliseconds on a large
 * graph).
 */
const INDEX_TURN_POINTS = BUILD_BATCH;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One stored point, as queries return it. */
export interface PointRecord {
  readonly id: PointId;
  /** Sequence of the last operation that changed the point (Qdrant's `version`). */
  readonly version: number;
  readonly payload: Payload;
}

export interface ScoredHit {
  readonly id: PointId;
  readonly internal: number;
  readonly score: number;
}

/**
 * A collection's state: the vector index, the point ids and payloads. It changes only through
 * `apply`, which the log replays identically; queries never change it. Point ids map to dense
 * internal numbers, the only ids the index knows.
 */
export class Collection {
  #params: CollectionParams;
  #index: CollectionIndex;
  readonly #placement: FullVectorsPlacement | undefined;
  readonly #buildPool: BuildPool | undefined;
  readonly #internalOf = new Map<PointId, number>();
  readonly #records = new Map<number, PointRecord>();
  #nextInternal = 0;
  #sortedIds: PointId[] | undefined;
  #sequence = 0;
  readonly #payloadIndexes = new PayloadIndexes();
  /** What the filtered-search planner reads, by internal id. */
  readonly #source: FilterSource = {
    internalIds: () => this.#records.keys(),
    point: (internal) => this.#records.get(internal),
    internalOf: (id) => this.#internalOf.get(id),
  };

  constructor(
    readonly name: string,
    params: CollectionParams,
    placement?: FullVectorsPlacement,
    /** Worker threads for bulk loads: large upserts, replay and restore (docs/decisions/0016). */
    buildPool?: BuildPool,
  ) {
    this.#params = params;
    this.#placement = placement;
    this.#buildPool = buildPool;
    this.#index = indexFor(params, placement, buildPool);
  }

  /** Gives back what the collection holds outside the JS heap (its full-vector file); unusable after. */
  close(): void {
    if (!(this.#index instanceof HnswIndex)) this.#index.close();
  }

  get params(): CollectionParams {
    return this.#params;
  }

  get pointCount(): number {
    return this.#records.size;
  }

  /** Sequence of the last applied operation. */
  get sequence(): number {
    return this.#sequence;
  }

  /**
   * Makes a restored state the state at `sequence` of the log it now continues: a snapshot
   * recovered from another collection or another Strata carries its source's sequence.
   */
  rebase(sequence: number): void {
    this.#sequence = sequence;
  }

  memoryBytes(): number {
    return this.#index.memoryBytes();
  }

  /**
   * Applies a logged operation at once (a replay). Must not fail for an operation that was
   * validated before logging.
   */
  apply(operation: Operation, sequence: number): void {
    for (const _step of this.#steps(operation, sequence));
  }

  /**
   * Applies a logged operation as `apply` does, with the same steps and so the same state, giving
   * the event loop a turn between the steps of a large upsert: searches and other collections'
   * requests are answered meanwhile, and see the upsert's points arrive chunk by chunk (as Qdrant's
   * do). The caller keeps other changes to this collection out until it settles (OrderedApply).
   * An operation done in one step is applied at once, without a promise.
   */
  applyInTurns(operation: Operation, sequence: number): undefined | Promise<void> {
    const steps = this.#steps(operation, sequence);
    if (steps.next().done === true) return undefined;
    return (async () => {
      do await new Promise(setImmediate);
      while (steps.next().done !== true);
    })();
  }

  // The operation's work, pausing (yield) where a turn may be given.
  *#steps(operation: Operation, sequence: number): Generator<void, void, undefined> {
    this.#sequence = sequence;
    switch (operation.op) {
      case 'upsert':
        yield* this.#upsertSteps(operation.points, sequence);
        break;
      case 'delete':
        for (const id of operation.ids) this.#delete(id);
        break;
      case 'set_payload':
      case 'overwrite_payload':
      case 'delete_payload':
      case 'clear_payload':
        for (const id of operation.ids)
          this.#updatePayload(id, sequence, (payload) => changedPayload(operation, payload));
        break;
      case 'update_hnsw':
        // Takes effect for points inserted from now on; the graph built so far keeps its links.
        this.#params = { ...this.#params, ...operation };
        break;
      case 'create_payload_index':
        this.#payloadIndexes.create(
          operation.field,
          operation.schema,
          [...this.#records].map(([internal, record]) => [internal, record.payload] as const),
        );
        break;
      case 'delete_payload_index':
        this.#payloadIndexes.drop(operation.field);
        break;
      case 'set_pca':
        this.#reindex(operation.pca);
        break;
    }
  }

  // A new index for the reduction (or none), filled with every point's stored vector in internal
  // order; the old one is closed. Replay runs the same steps on the same state: the same index.
  #reindex(pca: CollectionParams['pca'] | null): void {
    const { pca: _previous, ...rest } = this.#params;
    this.#params = pca === null || pca === undefined ? rest : { ...rest, pca };
    const previous = this.#index;
    const next = indexFor(this.#params, this.#placement, this.#buildPool);
    for (const internal of this.#records.keys()) {
      const vector = previous.vector(internal);
      if (vector !== undefined) next.upsert(internal, vector);
    }
    this.#index = next;
    if (!(previous instanceof HnswIndex)) previous.close();
  }

  get(id: PointId): PointRecord | undefined {
    const internal = this.#internalOf.get(id);
    return internal === undefined ? undefined : this.#records.get(internal);
  }

  /** The stored vector (normalised for cosine, as Qdrant returns it). */
  vector(id: PointId): number[] | undefined {
    const internal = this.#internalOf.get(id);
    if (internal === undefined) return undefined;
    const stored = this.#index.vector(internal);
    return stored === undefined ? undefined : Array.from(stored);
  }

  recordOf(internal: number): PointRecord | undefined {
    return this.#records.get(internal);
  }

  /** Point ids in Qdrant's scroll order; cached until the next insert or delete. */
  sortedIds(): readonly PointId[] {
    this.#sortedIds ??= [...this.#internalOf.keys()].sort(comparePointIds);
    return this.#sortedIds;
  }

  /** Every live point, for exact scans. */
  *records(): IterableIterator<[number, PointRecord]> {
    yield* this.#records.entries();
  }

  /**
   * Nearest points, scored as Qdrant scores. `filter` limits the results (the index still walks
   * through other points); `exact` scans instead of walking the graph.
   */
  nearest(
    query: readonly number[],
    k: number,
    options: {
      ef: number;
      exact: boolean;
      filter?: IdFilter;
      quantization?: QuantizationSearchParams;
      trace?: SearchTrace;
    },
  ): ScoredHit[] {
    return this.#index.search(query, k, options).flatMap((hit) => this.#scored(hit));
  }

  /** The points `filter` matches now, for any number of nearestAmong calls before the next change. */
  matching(filter: Filter): MatchingPoints {
    return matchingPoints(filter, this.#payloadIndexes, this.#source);
  }

  /**
   * Nearest points among those `matching` found, with the plan taken (for `explain`): the planner
   * (filter/planner.ts) scans the matching points exactly when they are few and walks the graph
   * admitting only them otherwise.
   */
  nearestAmong(
    query: readonly number[],
    k: number,
    matching: MatchingPoints,
    options: { ef: number; exact: boolean; quantization?: QuantizationSearchParams; trace?: SearchTrace },
  ): { hits: ScoredHit[]; plan: FilteredSearchPlan } {
    const { hits, plan } = searchMatching(this.#index, query, matching, {
      k,
      ...options,
      fullScanThreshold: this.#params.fullScanThreshold,
    });
    return { hits: hits.flatMap((hit) => this.#scored(hit)), plan };
  }

  /** What searches run over, for `explain`: the index's kind, the vectors it holds, its backend. */
  get indexInfo(): {
    kind: 'hnsw';
    vectors: 'float32' | 'int8' | 'binary';
    backend: Backend;
    /** Dimensions the graph's vectors are reduced to by PCA; undefined without a reduction. */
    reducedTo?: number;
  } {
    const index = this.#index;
    const vectors: 'float32' | 'int8' | 'binary' =
      index instanceof QuantizedHnswIndex ? index.quantization.kind : 'float32';
    const info = { kind: 'hnsw' as const, vectors, backend: index.backend };
    return index instanceof PcaIndex ? { ...info, reducedTo: index.model.components } : info;
  }

  /** Points matching `filter`, estimated from the payload indexes and a sample (Qdrant's approximate count). */
  estimateMatching(filter: Filter): number {
    return estimateMatches(filter, this.#payloadIndexes, { ...this.#source, size: this.#records.size }).count;
  }

  /**
   * The state at `sequence`, a block at a time: a JSON header (format, sequence, parameters,
   * payload indexes), then blocks of up to POINTS_PER_BLOCK points, each [u32 length][JSON array
   * of [id, version, payload]][their vectors as float32]. Vectors are taken as stored, so a restore
   * inserts the same bits; a quantized index hands them over in storage order (one sequential pass
   * over a file on disk). Only one block is in memory at a time, so a collection whose vectors live
   * on disk is never held in RAM to be snapshotted. Each chunk is valid until the next is taken,
   * and the collection must not change until the last one has been.
   */
  *stateChunks(): Generator<Uint8Array> {
    const dimension = this.#params.dimension;
    yield* framed(
      encoder.encode(
        JSON.stringify({
          format: STATE_FORMAT,
          sequence: this.#sequence,
          params: this.#params,
          payloadIndexes: Object.entries(this.#payloadIndexes.schema()).map(([field, info]) => [
            field,
            info.data_type,
          ]),
        }),
      ),
    );
    const perBlock = pointsPerBlock(dimension);
    const vectors = new Float32Array(perBlock * dimension);
    let points: [PointId, number, Payload][] = [];
    function* block(): Generator<Uint8Array> {
      yield* framed(encoder.encode(JSON.stringify(points)));
      yield new Uint8Array(vectors.buffer, 0, points.length * dimension * 4);
      points = [];
    }
    for (const [record, vector] of this.#storedPoints()) {
      vectors.set(vector.subarray(0, dimension), points.length * dimension);
      points.push([record.id, record.version, record.payload]);
      if (points.length === perBlock) yield* block();
    }
    if (points.length > 0) yield* block();
  }

  // Every point with its stored vector; a quantized index's in storage order.
  *#storedPoints(): Generator<[PointRecord, Float32Array]> {
    if (this.#index instanceof QuantizedHnswIndex) {
      for (const [internal, vector] of this.#index.vectors()) {
        const record = this.#records.get(internal);
        if (record !== undefined) yield [record, vector];
      }
    } else {
      for (const [internal, record] of this.#records) {
        const vector = this.#index.vector(internal);
        if (vector !== undefined) yield [record, vector];
      }
    }
  }

  /**
   * A collection rebuilt from the bytes `stateChunks` handed over (or an earlier version's
   * snapshot), read a block at a time; `placement` and `buildPool` as for the constructor. The
   * event loop gets a turn after each chunk of points is indexed, so that a long rebuild does not
   * hold up every request; `state` must stay readable until the promise settles.
   */
  static async restore(
    name: string,
    state: ByteSource,
    placement?: FullVectorsPlacement,
    buildPool?: BuildPool,
  ): Promise<Collection> {
    const reader = new ByteReader(state);
    const header = JSON.parse(decoder.decode(reader.read(reader.uint32()))) as StateHeader;
    const collection = new Collection(name, header.params, placement, buildPool);
    // A snapshot that fails half way must not leave its full-vector file behind.
    try {
      const dimension = header.params.dimension;
      // A bulk load (on the build pool when there is one), a build batch at a time with turns
      // between (turnChunks): a block's vectors are copied out at once (a block read from a file
      // need not be 4-byte aligned), its rows are views of that copy, and only a block or two is
      // held at a time, not a second copy of every vector.
      function* points(): Generator<{ readonly internal: number; readonly row: Float32Array }> {
        for (const block of stateBlocks(reader, header)) {
          const vectors = new Float32Array(block.points.length * dimension);
          new Uint8Array(vectors.buffer).set(block.vectors.subarray(0, vectors.byteLength));
          for (const [index, [id, version, payload]] of block.points.entries()) {
            const internal = collection.#nextInternal++;
            collection.#internalOf.set(id, internal);
            collection.#records.set(internal, { id, version, payload });
            yield { internal, row: vectors.subarray(index * dimension, (index + 1) * dimension) };
          }
        }
      }
      let first = true;
      for (const chunk of turnChunks(points(), INDEX_TURN_POINTS)) {
        if (!first) await new Promise(setImmediate);
        first = false;
        collection.#index.upsertMany(
          chunk.map((point) => point.internal),
          chunk.map((point) => point.row),
        );
      }
      for (const [field, type] of header.payloadIndexes) {
        collection.#payloadIndexes.create(
          field,
          type,
          [...collection.#records].map(([internal, record]) => [internal, record.payload] as const),
        );
      }
      collection.#sequence = header.sequence;
    } catch (error) {
      collection.close();
      throw error;
    }
    return collection;
  }

  /** Qdrant's `payload_schema`: each indexed field, its type and how many points have it. */
  payloadSchema(): Record<string, { data_type: string; points: number }> {
    return this.#payloadIndexes.schema();
  }

  /** Whether a higher score is better for this collection's distance. */
  get higherIsBetter(): boolean {
    return higherIsBetter(this.#params.metric);
  }

  #scored(hit: SearchHit): ScoredHit[] {
    const record = this.#records.get(hit.id);
    if (record === undefined) return [];
    return [{ id: record.id, internal: hit.id, score: toScore(this.#params.metric, hit.distance) }];
  }

  // The vectors go in as bulk inserts, which a large upsert runs in parallel: a build batch at a
  // time, with a possible turn between (turnChunks, as a restore cuts them).
  *#upsertSteps(points: readonly PointWrite[], sequence: number): Generator<void, void, undefined> {
    let first = true;
    for (const chunk of turnChunks(points, INDEX_TURN_POINTS)) {
      if (!first) yield;
      first = false;
      this.#upsertMany(chunk, sequence);
    }
  }

  #upsertMany(points: readonly PointWrite[], sequence: number): void {
    const internals = points.map((point) => this.#internalFor(point.id));
    this.#index.upsertMany(
      internals,
      points.map((point) => point.vector),
    );
    points.forEach((point, i) => {
      this.#upsertRecord(point, internals[i] ?? -1, sequence);
    });
  }

  #internalFor(id: PointId): number {
    let internal = this.#internalOf.get(id);
    if (internal === undefined) {
      internal = this.#nextInternal++;
      this.#internalOf.set(id, internal);
      this.#sortedIds = undefined;
    }
    return internal;
  }

  #upsertRecord(point: PointWrite, internal: number, sequence: number): void {
    const previous = this.#records.get(internal);
    if (previous !== undefined) this.#payloadIndexes.remove(internal, previous.payload);
    this.#payloadIndexes.insert(internal, point.payload);
    this.#records.set(internal, { id: point.id, version: sequence, payload: point.payload });
  }

  #delete(id: PointId): void {
    const internal = this.#internalOf.get(id);
    if (internal === undefined) return;
    this.#index.delete(internal);
    const record = this.#records.get(internal);
    if (record !== undefined) this.#payloadIndexes.remove(internal, record.payload);
    this.#internalOf.delete(id);
    this.#records.delete(internal);
    this.#sortedIds = undefined;
  }

  #updatePayload(id: PointId, sequence: number, change: (payload: Payload) => Payload): void {
    const internal = this.#internalOf.get(id);
    const record = internal === undefined ? undefined : this.#records.get(internal);
    if (internal === undefined || record === undefined) return;
    const payload = change(record.payload);
    this.#payloadIndexes.remove(internal, record.payload);
    this.#payloadIndexes.insert(internal, payload);
    this.#records.set(internal, { id: record.id, version: sequence, payload });
  }
}

type PayloadOperation = Extract<
  Operation,
  { op: 'set_payload' | 'overwrite_payload' | 'delete_payload' | 'clear_payload' }
>;

function changedPayload(operation: PayloadOperation, payload: Payload): Payload {
  switch (operation.op) {
    case 'set_payload':
      return mergePayload(payload, operation.payload, operation.key);
    case 'overwrite_payload':
      return operation.payload;
    case 'delete_payload':
      return deletePayloadKeys(payload, operation.keys);
    case 'clear_payload':
      return {};
  }
}
