import { Value } from '@sinclair/typebox/value';
import { Registry } from 'prom-client';
import { createLogger, type Logger } from '../../src/kernel/index.js';
import { VectorModule, vectorConfigSchema, type VectorConfig } from '../../src/vector/index.js';

/**
 * A started vector module on `dataDir` for tests of the procedures: the schema's defaults, except
 * no fsync (tests do not pull the plug) and no snapshots during the test; silent unless given a
 * logger.
 */
export async function startVectorModule(
  dataDir: string,
  logger: Logger = createLogger('silent'),
): Promise<VectorModule> {
  const defaults = Value.Default(vectorConfigSchema, {}) as VectorConfig;
  const module = new VectorModule({
    dataDir,
    registry: new Registry(),
    config: {
      ...defaults,
      storage: { ...defaults.storage, fsync: 'never' },
      snapshotEveryOperations: 10_000,
    },
    logger,
  });
  await module.start();
  return module;
}
