import { StrataError } from '../../kernel/index.js';
import type { Operation } from '../collection/operations.js';
import { parsePointId, type PointId } from '../collection/point-id.js';
import { planFilter } from './filtering.js';
import * as queries from './queries.js';
import { body, payloadOf, pointIds, stringList, upsertPoints, type Json } from './requests.js';
import type { VectorMetrics } from '../metrics.js';
import type { UpdateResult, VectorStore } from './vector-store.js';

/**
 * The vector procedures every transport calls (REST in Qdrant's shapes today; gRPC and GraphQL
 * later). Requests arrive as parsed JSON in Qdrant's shapes and are validated here, once.
 */
export class VectorProcedures {
  constructor(
    private readonly store: VectorStore,
    private readonly metrics: VectorMetrics,
  ) {}

  listCollections(): { collections: { name: string }[] } {
    return { collections: this.store.listCollections() };
  }

  async createCollection(name: string, request: unknown): Promise<true> {
    await this.store.createCollection(name, request);
    return true;
  }

  getCollection(name: string): Json {
    return this.store.collectionInfo(name);
  }

  collectionExists(name: string): { exists: boolean } {
    return { exists: this.store.collectionExists(name) };
  }

  async updateCollection(name: string, request: unknown): Promise<true> {
    await this.store.updateCollection(name, request);
    return true;
  }

  deleteCollection(name: string): Promise<boolean> {
    return this.store.deleteCollection(name);
  }

  async upsert(name: string, request: unknown): Promise<UpdateResult> {
    const collection = this.store.collection(name);
    const points = upsertPoints(body(request), collection.params.dimension);
    const end = this.metrics.upsertDuration.startTimer({ collection: name });
    const result = await this.store.mutate(name, { op: 'upsert', points });
    end();
    return result;
  }

  retrieve(name: string, request: unknown): queries.PointResult[] {
    return queries.retrieve(this.store.collection(name), body(request));
  }

  getPoint(name: string, id: string): queries.PointResult {
    const parsed = /^\d+$/.test(id) ? Number(id) : id;
    return queries.retrieveOne(this.store.collection(name), parsePointId(parsed, 'id'));
  }

  deletePoints(name: string, request: unknown): Promise<UpdateResult> {
    return this.store.mutate(name, { op: 'delete', ids: this.#selected(name, body(request)) });
  }

  setPayload(name: string, request: unknown): Promise<UpdateResult> {
    const json = body(request);
    const key = json['key'];
    if (key !== undefined && key !== null && typeof key !== 'string') {
      throw new StrataError('INVALID_ARGUMENT', 'key must be a string (a dotted payload path)');
    }
    const operation: Operation = {
      op: 'set_payload',
      ids: this.#selected(name, json),
      payload: payloadOf(json),
      ...(typeof key === 'string' ? { key } : {}),
    };
    return this.store.mutate(name, operation);
  }

  overwritePayload(name: string, request: unknown): Promise<UpdateResult> {
    const json = body(request);
    return this.store.mutate(name, {
      op: 'overwrite_payload',
      ids: this.#selected(name, json),
      payload: payloadOf(json),
    });
  }

  deletePayload(name: string, request: unknown): Promise<UpdateResult> {
    const json = body(request);
    const keys = stringList(json['keys'], 'keys');
    return this.store.mutate(name, { op: 'delete_payload', ids: this.#selected(name, json), keys });
  }

  clearPayload(name: string, request: unknown): Promise<UpdateResult> {
    return this.store.mutate(name, { op: 'clear_payload', ids: this.#selected(name, body(request)) });
  }

  scroll(name: string, request: unknown): ReturnType<typeof queries.scroll> {
    const collection = this.store.collection(name);
    const json = body(request);
    return queries.scroll(collection, json, planFilter(collection, json['filter']));
  }

  count(name: string, request: unknown): { count: number } {
    const collection = this.store.collection(name);
    const json = body(request);
    return queries.count(collection, json, planFilter(collection, json['filter']));
  }

  search(name: string, request: unknown): queries.ScoredPointResult[] {
    return this.#timed(name, () => this.#search(name, request));
  }

  searchBatch(name: string, request: unknown): queries.ScoredPointResult[][] {
    const searches = this.#batch(body(request)['searches'], 'searches');
    return this.#timed(name, () => searches.map((search) => this.#search(name, search)));
  }

  /** Qdrant's universal query, in its nearest-vector forms: `query: [..]` or `query: {nearest: [..]}`. */
  query(name: string, request: unknown): { points: queries.ScoredPointResult[] } {
    return this.#timed(name, () => this.#query(name, request));
  }

  queryBatch(name: string, request: unknown): { points: queries.ScoredPointResult[] }[] {
    const searches = this.#batch(body(request)['searches'], 'searches');
    return this.#timed(name, () => searches.map((search) => this.#query(name, search)));
  }

  createPayloadIndex(name: string, request: unknown): Promise<UpdateResult> {
    const json = body(request);
    const field = json['field_name'];
    if (typeof field !== 'string' || field === '')
      throw new StrataError('INVALID_ARGUMENT', 'field_name must be a non-empty string');
    const schema = json['field_schema'];
    const type = typeof schema === 'object' && schema !== null ? (schema as Json)['type'] : schema;
    if (typeof type !== 'string' || !['keyword', 'integer', 'float', 'bool'].includes(type)) {
      throw new StrataError('INVALID_ARGUMENT', 'field_schema must be one of keyword, integer, float, bool');
    }
    return this.store.mutate(name, { op: 'create_payload_index', field, schema: type });
  }

  deletePayloadIndex(name: string, field: string): Promise<UpdateResult> {
    return this.store.mutate(name, { op: 'delete_payload_index', field });
  }

  #search(name: string, request: unknown): queries.ScoredPointResult[] {
    const collection = this.store.collection(name);
    const json = body(request);
    const search = queries.searchRequest(json, collection.params.dimension, json['vector']);
    return queries.search(collection, search, planFilter(collection, json['filter']));
  }

  #query(name: string, request: unknown): { points: queries.ScoredPointResult[] } {
    const collection = this.store.collection(name);
    const json = body(request);
    const search = queries.searchRequest(json, collection.params.dimension, nearestVector(json['query']));
    return { points: queries.search(collection, search, planFilter(collection, json['filter'])) };
  }

  /** Observes the search latency of requests that succeed (failed ones are counted by HTTP metrics). */
  #timed<T>(name: string, run: () => T): T {
    const end = this.metrics.searchDuration.startTimer();
    const result = run();
    end({ collection: name });
    return result;
  }

  /** The ids a request names with `points: [ids]` or selects with `filter`. */
  #selected(name: string, json: Json): PointId[] {
    if (json['points'] !== undefined) return pointIds(json['points'], 'points');
    if (json['filter'] !== undefined) {
      const collection = this.store.collection(name);
      const plan = planFilter(collection, json['filter']);
      const ids: PointId[] = [];
      for (const [, record] of collection.records()) if (plan.matches(record)) ids.push(record.id);
      return ids;
    }
    throw new StrataError('INVALID_ARGUMENT', 'select points with "points" (a list of ids) or "filter"');
  }

  #batch(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value))
      throw new StrataError('INVALID_ARGUMENT', `${path} must be an array of requests`);
    return value;
  }
}

function nearestVector(query: unknown): unknown {
  if (Array.isArray(query)) return query;
  if (typeof query === 'object' && query !== null && 'nearest' in query) return (query as Json)['nearest'];
  throw new StrataError(
    'INVALID_ARGUMENT',
    'query must be a vector or {"nearest": vector}; other query kinds (ids, recommend, fusion) are not supported yet',
  );
}
