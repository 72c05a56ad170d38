import { Type, type Static } from '@sinclair/typebox';
import { storageConfigSchema } from './storage/index.js';

/** The vector module's configuration. */
export const vectorConfigSchema = Type.Object(
  {
    storage: storageConfigSchema,
    snapshotEveryOperations: Type.Integer({
      minimum: 1,
      default: 10_000,
      description:
        "A collection is snapshotted once this many operations were logged since its last snapshot (and on shutdown); the log is then truncated, which bounds restart time and gives deleted points' disk space back.",
    }),
  },
  { additionalProperties: false, default: {} },
);

export type VectorConfig = Static<typeof vectorConfigSchema>;
