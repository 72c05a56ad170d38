import { join } from 'node:path';
import type { Lifecycle, Logger } from '../kernel/index.js';
import type { VectorConfig } from './config.js';
import { FileLog } from './storage/index.js';
import { VectorProcedures } from './store/procedures.js';
import { VectorStore } from './store/vector-store.js';

export interface VectorModuleOptions {
  readonly dataDir: string;
  readonly config: VectorConfig;
  readonly logger: Logger;
}

/** The embedded vector database as a platform module: its store, and the procedures transports call. */
export class VectorModule implements Lifecycle {
  readonly procedures: VectorProcedures;
  readonly #store: VectorStore;

  constructor(options: VectorModuleOptions) {
    const { storage } = options.config;
    this.#store = new VectorStore({
      directory: join(options.dataDir, 'vector'),
      logger: options.logger,
      openLog: (directory) =>
        FileLog.open({
          directory,
          logger: options.logger,
          fsync: storage.fsync,
          fsyncIntervalMs: storage.fsyncIntervalMs,
          segmentBytes: storage.segmentBytes,
        }),
    });
    this.procedures = new VectorProcedures(this.#store);
  }

  start(): Promise<void> {
    return this.#store.start();
  }

  stop(): Promise<void> {
    return this.#store.stop();
  }
}
