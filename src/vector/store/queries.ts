import { StrataError } from '../../kernel/index.js';
import type { Collection, PointRecord, ScoredHit } from '../collection/collection.js';
import { selectPayload, type Payload, type PayloadSelector } from '../collection/payload.js';
import { comparePointIds, parsePointId, type PointId } from '../collection/point-id.js';
import { clientCollectionName } from './collection-name.js';
import { quantizationSearchFrom } from '../quantization/config.js';
import { searchTrace, type QuantizationSearchParams } from '../types.js';
import { explainSearch, type SearchExplain } from './explain.js';
import type { FilterPlan } from './filtering.js';
import {
  body,
  limit,
  optionalNumber,
  pointIds,
  vectorOf,
  withPayload,
  withVector,
  type Json,
} from './requests.js';

/** A point as Qdrant returns it from retrieve and scroll. */
export interface PointResult {
  readonly id: PointId;
  readonly payload?: Payload;
  readonly vector?: number[];
}

/** A point as Qdrant returns it from search and query. */
export interface ScoredPointResult extends PointResult {
  readonly version: number;
  readonly score: number;
}

function present(
  collection: Collection,
  record: PointRecord,
  payload: PayloadSelector,
  vector: boolean,
): PointResult {
  const selected = selectPayload(record.payload, payload);
  const stored = vector ? collection.vector(record.id) : undefined;
  return {
    id: record.id,
    ...(selected === undefined ? {} : { payload: selected }),
    ...(stored === undefined ? {} : { vector: stored }),
  };
}

export function retrieve(collection: Collection, request: Json): PointResult[] {
  const selector = withPayload(request, true);
  const vector = withVector(request);
  return pointIds(request['ids'], 'ids').flatMap((id) => {
    const record = collection.get(id);
    return record === undefined ? [] : [present(collection, record, selector, vector)];
  });
}

export function retrieveOne(collection: Collection, id: PointId): PointResult {
  const record = collection.get(id);
  if (record === undefined) {
    throw new StrataError(
      'NOT_FOUND',
      `point ${JSON.stringify(id)} not found in collection ${clientCollectionName(collection.name)}`,
    );
  }
  return present(collection, record, true, true);
}

/** Qdrant's scroll: points in id order from `offset`, with the id to continue from. */
export function scroll(
  collection: Collection,
  request: Json,
  filter: FilterPlan,
): {
  points: PointResult[];
  next_page_offset: PointId | null;
} {
  const pageSize = limit(request['limit'], 'limit', 10);
  const selector = withPayload(request, true);
  const vector = withVector(request);
  const ids = collection.sortedIds();
  let start = 0;
  if (request['offset'] !== undefined && request['offset'] !== null) {
    const from = parsePointId(request['offset'], 'offset');
    start = lowerBound(ids, from);
  }
  const points: PointResult[] = [];
  for (let i = start; i < ids.length; i++) {
    const id = ids[i];
    const record = id === undefined ? undefined : collection.get(id);
    if (record === undefined || !filter.matches(record)) continue;
    if (points.length === pageSize) return { points, next_page_offset: record.id };
    points.push(present(collection, record, selector, vector));
  }
  return { points, next_page_offset: null };
}

/** Qdrant's count: exact by default; `exact: false` allows an estimate, cheaper on large collections. */
export function count(collection: Collection, request: Json, filter: FilterPlan): { count: number } {
  const exact = request['exact'] ?? true;
  if (typeof exact !== 'boolean') throw new StrataError('INVALID_ARGUMENT', 'exact must be true or false');
  if (filter.all) return { count: collection.pointCount };
  if (!exact) return { count: filter.estimate() };
  let matching = 0;
  for (const [, record] of collection.records()) if (filter.matches(record)) matching++;
  return { count: matching };
}

export interface SearchRequest {
  readonly vector: number[];
  readonly limit: number;
  readonly offset: number;
  readonly scoreThreshold: number | undefined;
  readonly payload: PayloadSelector;
  readonly withVector: boolean;
  readonly ef: number | undefined;
  readonly exact: boolean;
  readonly quantization: QuantizationSearchParams | undefined;
  /** Strata's `params.explain`: return what the search did beside its points. */
  readonly explain: boolean;
}

/** Qdrant's search body (`/points/search`), or the nearest-vector form of `/points/query`. */
export function searchRequest(request: Json, dimension: number, vector: unknown): SearchRequest {
  const params = body(request['params']);
  const ef = params['hnsw_ef'];
  const exact = params['exact'] ?? false;
  if (typeof exact !== 'boolean')
    throw new StrataError('INVALID_ARGUMENT', 'params.exact must be true or false');
  const explain = params['explain'] ?? false;
  if (typeof explain !== 'boolean')
    throw new StrataError('INVALID_ARGUMENT', 'params.explain must be true or false');
  return {
    vector: vectorOf(vector, 'vector', dimension),
    limit: limit(request['limit'] ?? request['top'], 'limit', 10, 10_000),
    offset: limit(request['offset'], 'offset', 0),
    scoreThreshold: optionalNumber(request['score_threshold'], 'score_threshold'),
    payload: withPayload(request, false),
    withVector: withVector(request),
    ef: ef === undefined || ef === null ? undefined : limit(ef, 'params.hnsw_ef', 0, 100_000),
    exact,
    quantization: quantizationSearchFrom(params['quantization']),
    explain,
  };
}

/** A search's points, and what it did when the request asked (`params.explain`). */
export interface Searched {
  readonly points: ScoredPointResult[];
  readonly explain?: SearchExplain;
}

/** Nearest points by the filter's plan, scored, thresholded and paged as Qdrant does. */
export function search(collection: Collection, request: SearchRequest, filter: FilterPlan): Searched {
  const trace = request.explain ? searchTrace() : undefined;
  const { hits, plan } = filter.nearest(request.vector, request.offset + request.limit, {
    ef: request.ef,
    exact: request.exact,
    quantization: request.quantization,
    ...(trace === undefined ? {} : { trace }),
  });
  const points = scoredPoints(collection, request, hits);
  if (trace === undefined) return { points };
  return { points, explain: explainSearch(collection, request.exact, trace, plan) };
}

function scoredPoints(
  collection: Collection,
  request: SearchRequest,
  hits: readonly ScoredHit[],
): ScoredPointResult[] {
  const wanted = request.offset + request.limit;
  const threshold = request.scoreThreshold;
  const better = collection.higherIsBetter;
  return hits
    .filter((hit) => threshold === undefined || (better ? hit.score >= threshold : hit.score <= threshold))
    .slice(request.offset, wanted)
    .flatMap((hit) => {
      const record = collection.recordOf(hit.internal);
      if (record === undefined) return [];
      return [
        {
          ...present(collection, record, request.payload, request.withVector),
          version: record.version,
          score: hit.score,
        },
      ];
    });
}

function lowerBound(ids: readonly PointId[], from: PointId): number {
  let lo = 0;
  let hi = ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const id = ids[mid];
    if (id !== undefined && comparePointIds(id, from) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
