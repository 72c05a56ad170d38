import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BuildPool } from './build/index.js';
import type { BlockCache } from './quantization/block-cache.js';
import type { VectorStore } from './store/vector-store.js';

export interface VectorMetrics {
  readonly searchDuration: Histogram<'collection'>;
  readonly upsertDuration: Histogram<'collection'>;
}

const latencyBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

/**
 * Per-collection metrics. Sizes are read from the store when Prometheus scrapes (a gauge's
 * `collect`), so they cost nothing between scrapes; latencies are observed by the procedures.
 */
export function createVectorMetrics(
  registry: Registry,
  store: VectorStore,
  diskCache: BlockCache,
  build?: BuildPool,
): VectorMetrics {
  const gauge = (name: string, help: string, read: (collection: string) => number | Promise<number>) =>
    new Gauge({
      name,
      help,
      labelNames: ['collection'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const { name: collection } of store.listCollections())
          this.set({ collection }, await read(collection));
      },
    });
  gauge('strata_vector_points', 'Points stored in the collection.', (c) => store.collection(c).pointCount);
  gauge(
    'strata_vector_memory_bytes',
    'RAM held by the collection index: vectors (for on_disk collections, their cached blocks), codes and graph.',
    (c) => store.collection(c).memoryBytes(),
  );
  gauge(
    'strata_vector_disk_bytes',
    'Bytes on disk: the collection log, snapshots and (on_disk) full-vector file.',
    (c) => store.diskBytes(c),
  );
  diskCacheMetrics(registry, diskCache);
  new Gauge({
    name: 'strata_vector_build_parallel_points',
    help: 'Points inserted since start whose graph neighbours were searched on build worker threads (vector.buildThreads).',
    registers: [registry],
    collect() {
      this.set(build?.points ?? 0);
    },
  });
  return {
    searchDuration: new Histogram({
      name: 'strata_vector_search_duration_seconds',
      help: 'Time to answer one search or query request (a batch counts once).',
      labelNames: ['collection'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    upsertDuration: new Histogram({
      name: 'strata_vector_upsert_duration_seconds',
      help: 'Time to log durably and apply one upsert request.',
      labelNames: ['collection'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
  };
}

/** The block cache of on_disk collections, one per process: its bytes against its budget, hits and misses. */
function diskCacheMetrics(registry: Registry, cache: BlockCache): void {
  const read = <T extends 'bytes' | 'budget' | 'hits' | 'misses'>(field: T) => cache.stats()[field];
  new Gauge({
    name: 'strata_vector_disk_cache_bytes',
    help: 'Bytes of disk blocks cached for on_disk collections (at most strata_vector_disk_cache_budget_bytes).',
    registers: [registry],
    collect() {
      this.set(read('bytes'));
    },
  });
  new Gauge({
    name: 'strata_vector_disk_cache_budget_bytes',
    help: 'The disk block cache budget (vector.diskCache.bytes).',
    registers: [registry],
    collect() {
      this.set(read('budget'));
    },
  });
  // Counters read from the cache at scrape time: reset and raised to the cache's own count.
  for (const [name, field, help] of [
    [
      'strata_vector_disk_cache_hits_total',
      'hits',
      'Full-vector reads of on_disk collections answered from cached blocks.',
    ],
    [
      'strata_vector_disk_cache_misses_total',
      'misses',
      'Full-vector reads of on_disk collections that read a block from disk.',
    ],
  ] as const) {
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(field));
      },
    });
  }
}
