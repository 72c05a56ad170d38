import { Type, type Static } from '@sinclair/typebox';
import { storageConfigSchema } from './storage/index.js';

/** The vector module's configuration. */
export const vectorConfigSchema = Type.Object(
  { storage: storageConfigSchema },
  { additionalProperties: false, default: {} },
);

export type VectorConfig = Static<typeof vectorConfigSchema>;
