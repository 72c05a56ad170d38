import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { defaultTenant, type Lifecycle, type Logger } from '../kernel/index.js';
import { BuildPool } from './build/index.js';
import { createVectorMetrics } from './metrics.js';
import { buildThreadsOf, type VectorConfig } from './config.js';
import { BlockCache } from './quantization/block-cache.js';
import { FileLog, FsBlobStore, SnapshotFiles } from './storage/index.js';
import { CollectionSnapshots } from './store/collection-snapshots.js';
import { VectorProcedures } from './store/procedures.js';
import { VectorStore } from './store/vector-store.js';

export interface VectorModuleOptions {
  readonly dataDir: string;
  readonly registry: Registry;
  readonly config: VectorConfig;
  readonly logger: Logger;
}

/** The embedded vector database as a platform module: its store, and the procedures transports call. */
export class VectorModule implements Lifecycle {
  readonly procedures: VectorProcedures;
  readonly #store: VectorStore;
  readonly #snapshots: CollectionSnapshots;
  readonly #schedule: VectorConfig['snapshots'];
  readonly #buildPool: BuildPool | undefined;

  /** Where a snapshot upload is written while it is restored (emptied at start). */
  get uploadDirectory(): string {
    return this.#store.uploadDirectory;
  }

  constructor(options: VectorModuleOptions) {
    const { storage } = options.config;
    const directory = join(options.dataDir, 'vector');
    const diskCache = new BlockCache(options.config.diskCache.bytes);
    // Its workers start with the first large bulk load, not here.
    const threads = buildThreadsOf(options.config);
    this.#buildPool =
      threads > 1
        ? new BuildPool({
            threads,
            onError: (error) => {
              options.logger.error({ err: error }, 'parallel index build failed; building serially');
            },
          })
        : undefined;
    this.#store = new VectorStore({
      diskCache,
      directory,
      logger: options.logger,
      snapshots: new FsBlobStore(directory),
      snapshotsKept: storage.snapshotsKept,
      snapshotEveryOperations: options.config.snapshotEveryOperations,
      ...(this.#buildPool === undefined ? {} : { buildPool: this.#buildPool }),
      openLog: (directory) =>
        FileLog.open({
          directory,
          logger: options.logger,
          fsync: storage.fsync,
          fsyncIntervalMs: storage.fsyncIntervalMs,
          segmentBytes: storage.segmentBytes,
        }),
    });
    // User snapshots (Qdrant's snapshot API) apart from the internal ones under vector/snapshots.
    this.#snapshots = new CollectionSnapshots(
      this.#store,
      new SnapshotFiles(join(directory, 'user-snapshots')),
      options.logger,
    );
    this.#schedule = options.config.snapshots;
    this.procedures = new VectorProcedures(
      this.#store,
      createVectorMetrics(options.registry, this.#store, diskCache, this.#buildPool),
      this.#snapshots,
      defaultTenant,
      {},
      { maxBatchSearches: options.config.maxBatchSearches },
    );
  }

  async start(): Promise<void> {
    await this.#store.start();
    this.#snapshots.startSchedule({
      everyMinutes: this.#schedule.scheduleMinutes,
      keep: this.#schedule.keep,
    });
  }

  /** The schedule first: a snapshot being written finishes before the store closes; the build workers last. */
  async stop(): Promise<void> {
    await this.#snapshots.stop();
    await this.#store.stop();
    await this.#buildPool?.close();
  }
}
