import { StrataError, defaultTenant } from '../../kernel/index.js';
import type { Operation } from '../collection/operations.js';
import { parsePointId, type PointId } from '../collection/point-id.js';
import { parseStoredCollectionName, storedCollectionName } from './collection-name.js';
import { batchedSearches, searchBatch } from './batch.js';
import { clusterCollection, type ClusterResult } from './clustering.js';
import { pcaOperation } from './reduction.js';
import type { SearchExplain } from './explain.js';
import { planFilter } from './filtering.js';
import * as queries from './queries.js';
import { body, payloadOf, pointIds, stringList, upsertPoints, type Json } from './requests.js';
import type { VectorMetrics } from '../metrics.js';
import type { ByteSource, SnapshotDescription } from '../storage/index.js';
import type { CollectionSnapshots } from './collection-snapshots.js';

import type { CollectionChange } from './change-feed.js';
import type { UpdateResult, VectorStore } from './vector-store.js';

/** What a tenant may use (security.quotas); an absent field is no limit. */
export interface TenantLimits {
  readonly storedVectors?: number | undefined;
}

/** Limits on requests, from the vector module's configuration. */
export interface RequestLimits {
  /** Most searches in one search/batch or query/batch request (vector.maxBatchSearches). */
  readonly maxBatchSearches: number;
}

/** Qdrant's search response, with Strata's `explain` beside `result` when a search asked for it. */
export interface SearchResponse<T, E> {
  readonly result: T;
  readonly explain?: E;
}

/** Qdrant's QueryResponse, with Strata's `explain` beside `points` when the query asked for it. */
export type QueryResponse = queries.Searched;

/**
 * The vector procedures every transport calls (REST in Qdrant's shapes today; gRPC and GraphQL
 * later). Requests arrive as parsed JSON in Qdrant's shapes and are validated here, once.
 * An instance acts for one tenant: the names callers send are that tenant's (see
 * storedCollectionName), and no name reaches another tenant's collections.
 */
export class VectorProcedures {
  constructor(
    private readonly store: VectorStore,
    private readonly metrics: VectorMetrics,
    private readonly snapshots: CollectionSnapshots,
    readonly tenant: string = defaultTenant,
    private readonly limits: TenantLimits = {},
    private readonly requests: RequestLimits = { maxBatchSearches: 1024 },
    /**
     * New points of upserts accepted but not yet applied, per tenant: the stored-vectors quota
     * counts them, so that writes racing near the limit cannot pass it together. Shared by every
     * tenant's view of one store.
     */
    private readonly writing: Map<string, number> = new Map(),
  ) {}

  /** The same procedures acting for `tenant`, within its limits. */
  forTenant(tenant: string, limits: TenantLimits = {}): VectorProcedures {
    return new VectorProcedures(
      this.store,
      this.metrics,
      this.snapshots,
      tenant,
      limits,
      this.requests,
      this.writing,
    );
  }

  listCollections(): { collections: { name: string }[] } {
    const collections: { name: string }[] = [];
    for (const { name: stored } of this.store.listCollections()) {
      const { tenant, name } = parseStoredCollectionName(stored);
      if (tenant === this.tenant) collections.push({ name });
    }
    return { collections };
  }

  async createCollection(name: string, request: unknown): Promise<true> {
    await this.store.createCollection(this.#stored(name), request);
    return true;
  }

  getCollection(name: string): Json {
    return this.store.collectionInfo(this.#stored(name));
  }

  /** Several collections' info in one call (GraphQL's batched loading); NOT_FOUND names the first missing one. */
  getCollections(names: readonly string[]): Json[] {
    return names.map((name) => this.store.collectionInfo(this.#stored(name)));
  }

  collectionExists(name: string): { exists: boolean } {
    return { exists: this.store.collectionExists(this.#stored(name)) };
  }

  async updateCollection(name: string, request: unknown): Promise<true> {
    await this.store.updateCollection(this.#stored(name), request);
    return true;
  }

  deleteCollection(name: string): Promise<boolean> {
    return this.store.deleteCollection(this.#stored(name));
  }

  async upsert(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const collection = this.store.collection(stored);
    const points = upsertPoints(body(request), collection.params.dimension);
    const release = this.#reserveStoredVectors(
      points.filter((point) => collection.get(point.id) === undefined).length,
    );
    try {
      const end = this.metrics.upsertDuration.startTimer({ collection: stored });
      const result = await this.store.mutate(stored, { op: 'upsert', points });
      end();
      return result;
    } finally {
      // Applied (or failed): from here on the collection's count holds them.
      release();
    }
  }

  retrieve(name: string, request: unknown): queries.PointResult[] {
    const stored = this.#stored(name);
    return queries.retrieve(this.store.collection(stored), body(request));
  }

  getPoint(name: string, id: string): queries.PointResult {
    const stored = this.#stored(name);
    const parsed = /^\d+$/.test(id) ? Number(id) : id;
    return queries.retrieveOne(this.store.collection(stored), parsePointId(parsed, 'id'));
  }

  deletePoints(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    return this.store.mutate(stored, { op: 'delete', ids: this.#selected(stored, body(request)) });
  }

  setPayload(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const json = body(request);
    const key = json['key'];
    if (key !== undefined && key !== null && typeof key !== 'string') {
      throw new StrataError('INVALID_ARGUMENT', 'key must be a string (a dotted payload path)');
    }
    const operation: Operation = {
      op: 'set_payload',
      ids: this.#selected(stored, json),
      payload: payloadOf(json),
      ...(typeof key === 'string' ? { key } : {}),
    };
    return this.store.mutate(stored, operation);
  }

  overwritePayload(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const json = body(request);
    return this.store.mutate(stored, {
      op: 'overwrite_payload',
      ids: this.#selected(stored, json),
      payload: payloadOf(json),
    });
  }

  deletePayload(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const json = body(request);
    const keys = stringList(json['keys'], 'keys');
    return this.store.mutate(stored, { op: 'delete_payload', ids: this.#selected(stored, json), keys });
  }

  clearPayload(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    return this.store.mutate(stored, { op: 'clear_payload', ids: this.#selected(stored, body(request)) });
  }

  scroll(name: string, request: unknown): ReturnType<typeof queries.scroll> {
    const stored = this.#stored(name);
    const collection = this.store.collection(stored);
    const json = body(request);
    return queries.scroll(collection, json, planFilter(collection, json['filter']));
  }

  count(name: string, request: unknown): { count: number } {
    const stored = this.#stored(name);
    const collection = this.store.collection(stored);
    const json = body(request);
    return queries.count(collection, json, planFilter(collection, json['filter']));
  }

  /** Qdrant's search; `params.explain: true` (Strata's) adds what it did beside `result`. */
  search(name: string, request: unknown): SearchResponse<queries.ScoredPointResult[], SearchExplain> {
    const stored = this.#stored(name);
    return this.#timed(stored, () => {
      const { points, explain } = this.#search(stored, request, (search) => search['vector']);
      return explain === undefined ? { result: points } : { result: points, explain };
    });
  }

  /**
   * Qdrant's search/batch, doing the work its searches share once (batch.ts); `explain` holds one
   * entry per search (null for those that did not ask) when any asked.
   */
  searchBatch(
    name: string,
    request: unknown,
  ): SearchResponse<queries.ScoredPointResult[][], (SearchExplain | null)[]> {
    const stored = this.#stored(name);
    return this.#timed(stored, () => {
      const searched = this.#searchBatch(stored, request, (search) => search['vector']);
      const result = searched.map(({ points }) => points);
      if (searched.every(({ explain }) => explain === undefined)) return { result };
      return { result, explain: searched.map(({ explain }) => explain ?? null) };
    });
  }

  /**
   * Qdrant's universal query, in its nearest-vector forms: `query: [..]` or `query: {nearest: [..]}`;
   * `params.explain: true` (Strata's) adds what it did beside `points`.
   */
  query(name: string, request: unknown): QueryResponse {
    const stored = this.#stored(name);
    return this.#timed(stored, () =>
      this.#search(stored, request, (search) => nearestVector(search['query'])),
    );
  }

  queryBatch(name: string, request: unknown): QueryResponse[] {
    const stored = this.#stored(name);
    return this.#timed(stored, () =>
      this.#searchBatch(stored, request, (search) => nearestVector(search['query'])),
    );
  }

  /**
   * k-means over the collection's points (Strata's own; Qdrant has no clustering API):
   * `{k, sample?, iterations?, seed?}` → centroids, sizes and every point's cluster.
   */
  cluster(name: string, request: unknown): ClusterResult {
    return clusterCollection(this.store.collection(this.#stored(name)), body(request));
  }

  /**
   * Reduces the collection's vectors by PCA (Strata's own): `{components, sample?, oversampling?,
   * seed?}` fits the model on a sample of the points now and rebuilds the index through it; the
   * model is logged with the operation, so it is stored with the collection (decision 0017).
   */
  setPca(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    return this.store.mutate(stored, pcaOperation(this.store.collection(stored), body(request)));
  }

  /** Drops the collection's PCA reduction: the index is rebuilt over the full vectors. */
  removePca(name: string): Promise<UpdateResult> {
    const stored = this.#stored(name);
    if (this.store.collection(stored).params.pca === undefined) {
      throw new StrataError('NOT_FOUND', `collection ${name} has no PCA reduction`);
    }
    return this.store.mutate(stored, { op: 'set_pca', pca: null });
  }

  createPayloadIndex(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const json = body(request);
    const field = json['field_name'];
    if (typeof field !== 'string' || field === '')
      throw new StrataError('INVALID_ARGUMENT', 'field_name must be a non-empty string');
    const schema = json['field_schema'];
    const type = typeof schema === 'object' && schema !== null ? (schema as Json)['type'] : schema;
    if (typeof type !== 'string' || !['keyword', 'integer', 'float', 'bool'].includes(type)) {
      throw new StrataError('INVALID_ARGUMENT', 'field_schema must be one of keyword, integer, float, bool');
    }
    return this.store.mutate(stored, { op: 'create_payload_index', field, schema: type });
  }

  deletePayloadIndex(name: string, field: string): Promise<UpdateResult> {
    const stored = this.#stored(name);
    return this.store.mutate(stored, { op: 'delete_payload_index', field });
  }

  /** Qdrant's create_snapshot: the collection's state now, as a self-describing file. */
  createSnapshot(name: string): Promise<SnapshotDescription> {
    return this.snapshots.create(this.#stored(name));
  }

  /** The collection's snapshots, oldest first; they outlive the collection (they are its backups). */
  listSnapshots(name: string): Promise<SnapshotDescription[]> {
    return this.snapshots.list(this.#stored(name));
  }

  /** A snapshot file's size and bytes, to download. */
  downloadSnapshot(name: string, snapshot: string): Promise<{ size: number; stream: NodeJS.ReadableStream }> {
    return this.snapshots.open(this.#stored(name), snapshot);
  }

  deleteSnapshot(name: string, snapshot: string): Promise<true> {
    return this.snapshots.delete(this.#stored(name), snapshot);
  }

  /**
   * Qdrant's recover_from_snapshot: `{location, priority?, checksum?}`. The location must be a
   * `file://` URL of a snapshot this tenant has (any of its collections'); remote URLs are refused
   * (no requests to arbitrary hosts from the server: upload the file instead).
   */
  async recoverSnapshot(name: string, request: unknown): Promise<true> {
    const json = body(request);
    const location = json['location'];
    if (typeof location !== 'string' || location === '')
      throw new StrataError('INVALID_ARGUMENT', 'location must be a file:// URL of a snapshot');
    const checksum = optionalChecksum(json['checksum']);
    snapshotPriority(json['priority']);
    const source = this.snapshots.files.locate(location);
    // Another tenant's snapshot is answered like one that is not there: names do not leak.
    if (tenantOf(source.collection) !== this.tenant)
      throw new StrataError('NOT_FOUND', `there is no snapshot ${source.name} at that location`);
    const file = this.snapshots.files.source(source.collection, source.name);
    try {
      await this.#recover(name, file, checksum);
    } finally {
      file.close();
    }
    return true;
  }

  /** Qdrant's recover_from_uploaded_snapshot: the file's bytes, `checksum` and `priority` from the query. */
  async uploadSnapshot(name: string, file: ByteSource, query: unknown = {}): Promise<true> {
    const json = body(query);
    snapshotPriority(json['priority']);
    await this.#recover(name, file, optionalChecksum(json['checksum']));
    return true;
  }

  async #recover(name: string, file: ByteSource, checksum: string | undefined): Promise<void> {
    const stored = this.#stored(name);
    await this.snapshots.recover(stored, file, checksum, (restored) => {
      const existing = this.store.collectionExists(stored) ? this.store.collection(stored).pointCount : 0;
      this.#checkStoredVectors(restored.pointCount - existing);
    });
  }

  /**
   * Calls `listener` with every change to the tenant's collection `name` (all its collections when
   * undefined) until the returned function is called. `name` need not exist yet: its creation is
   * a change too.
   */
  watchCollections(name: string | undefined, listener: (change: CollectionChange) => void): () => void {
    // Checked now, so that a name no collection can have fails the call rather than stays silent.
    const only = name === undefined ? undefined : this.#stored(name);
    return this.store.watch((stored, change) => {
      const ours =
        only === undefined ? parseStoredCollectionName(stored).tenant === this.tenant : stored === only;
      if (ours) listener(change);
    });
  }

  /**
   * Refuses a write that would take the tenant past its stored-vectors quota (QUOTA_EXCEEDED),
   * counting the points of upserts still being written as stored.
   */
  #checkStoredVectors(adding: number): void {
    const limit = this.limits.storedVectors;
    if (limit === undefined || adding <= 0) return;
    let stored = this.writing.get(this.tenant) ?? 0;
    for (const { name } of this.store.listCollections()) {
      if (parseStoredCollectionName(name).tenant === this.tenant)
        stored += this.store.collection(name).pointCount;
    }
    if (stored + adding > limit) {
      throw new StrataError(
        'QUOTA_EXCEEDED',
        `tenant ${this.tenant} may store ${String(limit)} vectors; it stores ${String(stored)} (writes in progress included) and this write adds ${String(adding)}. Delete points or ask an operator to raise security.quotas.storedVectors.`,
        { details: { limit, stored, adding } },
      );
    }
  }

  /**
   * Checks the quota for `adding` new points and counts them as stored until the returned
   * function is called. Two writes of the same new id both count until applied: near the limit,
   * one may be refused that would have fit, never one let through that does not.
   */
  #reserveStoredVectors(adding: number): () => void {
    if (this.limits.storedVectors === undefined || adding <= 0) return () => undefined;
    this.#checkStoredVectors(adding);
    const tenant = this.tenant;
    this.writing.set(tenant, (this.writing.get(tenant) ?? 0) + adding);
    return () => {
      const left = (this.writing.get(tenant) ?? 0) - adding;
      if (left > 0) this.writing.set(tenant, left);
      else this.writing.delete(tenant);
    };
  }

  /** The stored name of this tenant's collection `name`. */
  #stored(name: string): string {
    return storedCollectionName(this.tenant, name);
  }

  #search(name: string, request: unknown, vectorOf: (search: Json) => unknown): queries.Searched {
    const collection = this.store.collection(name);
    const json = body(request);
    const search = queries.searchRequest(json, collection.params.dimension, vectorOf(json));
    return queries.search(collection, search, planFilter(collection, json['filter']));
  }

  #searchBatch(name: string, request: unknown, vectorOf: (search: Json) => unknown): queries.Searched[] {
    const collection = this.store.collection(name);
    const { dimension } = collection.params;
    const searches = batchedSearches(request, dimension, this.requests.maxBatchSearches, vectorOf);
    return searchBatch(collection, searches);
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
}

function tenantOf(stored: string): string | undefined {
  try {
    return parseStoredCollectionName(stored).tenant;
  } catch {
    return undefined;
  }
}

function optionalChecksum(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value))
    throw new StrataError('INVALID_ARGUMENT', "checksum must be the snapshot file's SHA-256, 64 hex digits");
  return value;
}

/** Qdrant's priority: which side wins when a replica has data. One node has no replica: accepted, no effect. */
function snapshotPriority(value: unknown): void {
  if (value === undefined || value === null) return;
  if (value !== 'replica' && value !== 'snapshot' && value !== 'no_sync')
    throw new StrataError('INVALID_ARGUMENT', 'priority must be replica, snapshot or no_sync');
}

function nearestVector(query: unknown): unknown {
  if (Array.isArray(query)) return query;
  if (typeof query === 'object' && query !== null && 'nearest' in query) return (query as Json)['nearest'];
  throw new StrataError(
    'INVALID_ARGUMENT',
    'query must be a vector or {"nearest": vector}; other query kinds (ids, recommend, fusion) are not supported yet',
  );
}
