import { join } from 'node:path';
import type { Registry } from 'prom-client';
import type { Lifecycle, Logger } from '../kernel/index.js';
import { createVectorMetrics } from './metrics.js';
import type { VectorConfig } from './config.js';
import { FileLog, FsBlobStore } from './storage/index.js';
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

  constructor(options: VectorModuleOptions) {
    const { storage } = options.config;
    const directory = join(options.dataDir, 'vector');
    this.#store = new VectorStore({
      directory,
      logger: options.logger,
      snapshots: new FsBlobStore(directory),
      snapshotsKept: storage.snapshotsKept,
      snapshotEveryOperations: options.config.snapshotEveryOperations,
      openLog: (directory) =>
        FileLog.open({
          directory,
          logger: options.logger,
          fsync: storage.fsync,
          fsyncIntervalMs: storage.fsyncIntervalMs,
          segmentBytes: storage.segmentBytes,
        }),
    });
    this.procedures = new VectorProcedures(this.#store, createVectorMetrics(options.registry, this.#store));
  }

  start(): Promise<void> {
    return this.#store.start();
  }

  stop(): Promise<void> {
    return this.#store.stop();
  }
}
