import type { BuildPool } from '../build/index.js';
import { HnswIndex } from '../hnsw-index.js';
import { quantizationOf } from '../quantization/config.js';
import { QuantizedHnswIndex } from '../quantization/quantized-index.js';
import {
  PayloadIndexes,
  estimateMatches,
  filteredSearch,
  type Filter,
  type FilterSource,
} from '../filter/index.js';
import type { IdFilter, Metric, QuantizationSearchParams, SearchHit } from '../types.js';
import type { Operation, PointWrite } from './operations.js';
import type { CollectionParams } from './params.js';
import { deletePayloadKeys, mergePayload, type Payload } from './payload.js';
import { comparePointIds, type PointId } from './point-id.js';

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
  readonly #index: HnswIndex | QuantizedHnswIndex;
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
    /** Worker threads for bulk loads: large upserts, replay and restore (docs/decisions/0016). */
    buildPool?: BuildPool,
  ) {
    this.#params = params;
    const graph = {
      dimension: params.dimension,
      metric: params.metric,
      m: params.m,
      efConstruction: params.efConstruct,
      ...(buildPool === undefined ? {} : { buildPool }),
    };
    this.#index =
      params.quantization === undefined
        ? new HnswIndex(graph)
        : new QuantizedHnswIndex({ ...graph, quantization: quantizationOf(params.quantization) });
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

  /** Applies a logged operation. Must not fail for an operation that was validated before logging. */
  apply(operation: Operation, sequence: number): void {
    this.#sequence = sequence;
    switch (operation.op) {
      case 'upsert':
        this.#upsertMany(operation.points, sequence);
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
    }
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
    options: { ef: number; exact: boolean; filter?: IdFilter; quantization?: QuantizationSearchParams },
  ): ScoredHit[] {
    return this.#index.search(query, k, options).flatMap((hit) => this.#scored(hit));
  }

  /**
   * Nearest points among those the filter matches; the planner (filter/planner.ts) scans the
   * matching points exactly when they are few and walks the graph admitting only them otherwise.
   */
  nearestMatching(
    query: readonly number[],
    k: number,
    ef: number,
    exact: boolean,
    filter: Filter,
    quantization?: QuantizationSearchParams,
  ): ScoredHit[] {
    const { hits } = filteredSearch(this.#index, query, filter, this.#payloadIndexes, this.#source, {
      k,
      ef,
      exact,
      fullScanThreshold: this.#params.fullScanThreshold,
      ...(quantization === undefined ? {} : { quantization }),
    });
    return hits.flatMap((hit) => this.#scored(hit));
  }

  /** Points matching `filter`, estimated from the payload indexes and a sample (Qdrant's approximate count). */
  estimateMatching(filter: Filter): number {
    return estimateMatches(filter, this.#payloadIndexes, { ...this.#source, size: this.#records.size }).count;
  }

  /**
   * The state at `sequence` as bytes: a JSON header (parameters, payload indexes, points without
   * vectors) followed by every vector as float32, in header order. Vectors are taken as stored,
   * so a restore inserts the same bits.
   */
  snapshot(): Uint8Array {
    const points: [PointId, number, Payload][] = [];
    const vectors = new Float32Array(this.#records.size * this.#params.dimension);
    let row = 0;
    for (const [internal, record] of this.#records) {
      points.push([record.id, record.version, record.payload]);
      const vector = this.#index.vector(internal);
      if (vector !== undefined) vectors.set(vector, row * this.#params.dimension);
      row++;
    }
    const header = encoder.encode(
      JSON.stringify({
        sequence: this.#sequence,
        params: this.#params,
        payloadIndexes: Object.entries(this.#payloadIndexes.schema()).map(([field, info]) => [
          field,
          info.data_type,
        ]),
        points,
      }),
    );
    const bytes = new Uint8Array(4 + header.byteLength + vectors.byteLength);
    new DataView(bytes.buffer).setUint32(0, header.byteLength, true);
    bytes.set(header, 4);
    bytes.set(new Uint8Array(vectors.buffer), 4 + header.byteLength);
    return bytes;
  }

  /** A collection rebuilt from `snapshot()` bytes. */
  static restore(name: string, bytes: Uint8Array, buildPool?: BuildPool): Collection {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const headerBytes = view.getUint32(0, true);
    const header = JSON.parse(decoder.decode(bytes.subarray(4, 4 + headerBytes))) as {
      sequence: number;
      params: CollectionParams;
      payloadIndexes: [string, string][];
      points: [PointId, number, Payload][];
    };
    const collection = new Collection(name, header.params, buildPool);
    const dimension = header.params.dimension;
    // Copied out: the vector block of a snapshot read from disk need not be 4-byte aligned.
    const vectors = new Float32Array(new Uint8Array(bytes.subarray(4 + headerBytes)).buffer);
    const internals: number[] = [];
    const rows: Float32Array[] = [];
    for (const [row, [id, version, payload]] of header.points.entries()) {
      const internal = collection.#nextInternal++;
      collection.#internalOf.set(id, internal);
      internals.push(internal);
      rows.push(vectors.subarray(row * dimension, (row + 1) * dimension));
      collection.#records.set(internal, { id, version, payload });
    }
    collection.#index.upsertMany(internals, rows);
    for (const [field, type] of header.payloadIndexes) {
      collection.#payloadIndexes.create(
        field,
        type,
        [...collection.#records].map(([internal, record]) => [internal, record.payload] as const),
      );
    }
    collection.#sequence = header.sequence;
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

  // The vectors go in as one bulk insert, which a large upsert runs in parallel.
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

/** Qdrant's scores: similarity for Cosine and Dot (higher is better), distance for Euclid and Manhattan. */
export function toScore(metric: Metric, distance: number): number {
  switch (metric) {
    case 'cosine':
    case 'dot':
      return 1 - distance;
    case 'euclidean':
      return Math.sqrt(Math.max(distance, 0));
    case 'manhattan':
      return distance;
  }
}

export function higherIsBetter(metric: Metric): boolean {
  return metric === 'cosine' || metric === 'dot';
}
