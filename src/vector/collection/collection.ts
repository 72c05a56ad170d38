import { StrataError } from '../../kernel/index.js';
import { HnswIndex } from '../hnsw-index.js';
import { matchesFilter, parseKeyPath, valuesAt, type Filter } from '../filter/index.js';
import type { IdFilter, Metric, SearchHit } from '../types.js';
import type { Operation, PointWrite } from './operations.js';
import type { CollectionParams } from './params.js';
import { deletePayloadKeys, mergePayload, type Payload } from './payload.js';
import { comparePointIds, type PointId } from './point-id.js';

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
  readonly #index: HnswIndex;
  readonly #internalOf = new Map<PointId, number>();
  readonly #records = new Map<number, PointRecord>();
  #nextInternal = 0;
  #sortedIds: PointId[] | undefined;
  #sequence = 0;
  /** Indexed payload fields and their types (Qdrant's field_schema). */
  readonly #payloadIndexes = new Map<string, string>();

  constructor(
    readonly name: string,
    params: CollectionParams,
  ) {
    this.#params = params;
    this.#index = new HnswIndex({
      dimension: params.dimension,
      metric: params.metric,
      m: params.m,
      efConstruction: params.efConstruct,
    });
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

  memoryBytes(): number {
    return this.#index.memoryBytes();
  }

  /** Applies a logged operation. Must not fail for an operation that was validated before logging. */
  apply(operation: Operation, sequence: number): void {
    this.#sequence = sequence;
    switch (operation.op) {
      case 'upsert':
        for (const point of operation.points) this.#upsert(point, sequence);
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
        this.#payloadIndexes.set(operation.field, operation.schema);
        break;
      case 'delete_payload_index':
        this.#payloadIndexes.delete(operation.field);
        break;
    }
  }

  has(id: PointId): boolean {
    return this.#internalOf.has(id);
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
    options: { ef: number; exact: boolean; filter?: IdFilter },
  ): ScoredHit[] {
    return this.#index.search(query, k, options).flatMap((hit) => this.#scored(hit));
  }

  /**
   * Nearest points among those the filter matches. The planner: when few points match, an exact
   * scan of just them is both cheaper and perfectly accurate; otherwise the graph is walked with
   * only matching points admitted to the results, and ef raised as the filter gets more selective.
   */
  nearestMatching(
    query: readonly number[],
    k: number,
    ef: number,
    exact: boolean,
    filter: Filter,
  ): ScoredHit[] {
    const matching: number[] = [];
    for (const [internal, record] of this.#records) {
      if (matchesFilter(filter, record.id, record.payload)) matching.push(internal);
    }
    if (matching.length === 0) return [];
    const scan = exact || matching.length <= this.#params.fullScanThreshold;
    const selectivity = matching.length / this.#records.size;
    const boosted = Math.min(Math.ceil(ef / Math.max(selectivity, 0.05)), 4 * Math.max(ef, k) + 512);
    return this.nearest(query, k, { ef: boosted, exact: scan, filter: { ids: matching } });
  }

  /** Qdrant's `payload_schema`: each indexed field, its type and how many points have it. */
  payloadSchema(): Record<string, { data_type: string; points: number }> {
    const schema: Record<string, { data_type: string; points: number }> = {};
    for (const [field, type] of this.#payloadIndexes) {
      const path = parseKeyPath(field);
      let points = 0;
      if (typeof path !== 'string') {
        for (const record of this.#records.values()) if (valuesAt(record.payload, path).length > 0) points++;
      }
      schema[field] = { data_type: type, points };
    }
    return schema;
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

  #upsert(point: PointWrite, sequence: number): void {
    let internal = this.#internalOf.get(point.id);
    if (internal === undefined) {
      internal = this.#nextInternal++;
      this.#internalOf.set(point.id, internal);
      this.#sortedIds = undefined;
    }
    this.#index.upsert(internal, point.vector);
    this.#records.set(internal, { id: point.id, version: sequence, payload: point.payload });
  }

  #delete(id: PointId): void {
    const internal = this.#internalOf.get(id);
    if (internal === undefined) return;
    this.#index.delete(internal);
    this.#internalOf.delete(id);
    this.#records.delete(internal);
    this.#sortedIds = undefined;
  }

  #updatePayload(id: PointId, sequence: number, change: (payload: Payload) => Payload): void {
    const internal = this.#internalOf.get(id);
    const record = internal === undefined ? undefined : this.#records.get(internal);
    if (internal === undefined || record === undefined) return;
    this.#records.set(internal, { id: record.id, version: sequence, payload: change(record.payload) });
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

export function assertPointExists(collection: Collection, id: PointId): void {
  if (!collection.has(id))
    throw new StrataError('NOT_FOUND', `point ${JSON.stringify(id)} not found in ${collection.name}`);
}
