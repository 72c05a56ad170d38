import { Type, type Static } from '@sinclair/typebox';

/** Embedded storage of the vector engine: the write-ahead log and its snapshots. */
export const storageConfigSchema = Type.Object(
  {
    fsync: Type.Union([Type.Literal('always'), Type.Literal('interval'), Type.Literal('never')], {
      default: 'always',
      description:
        'When the write-ahead log is flushed to disk. always: a write is acknowledged only once on disk (survives power loss). interval: every fsyncIntervalMs (survives a process crash; may lose that interval on power loss). never: left to the OS.',
    }),
    fsyncIntervalMs: Type.Integer({
      minimum: 1,
      default: 100,
      description: 'With fsync interval: how often the log is flushed, in milliseconds.',
    }),
    segmentBytes: Type.Integer({
      minimum: 4096,
      default: 64 * 1024 * 1024,
      description:
        'Size at which the log rolls over to a new segment file; whole segments are deleted once a snapshot covers them.',
    }),
    snapshotsKept: Type.Integer({
      minimum: 1,
      default: 2,
      description:
        'Snapshots kept per collection. With 2 or more, a damaged newest snapshot falls back to the previous one.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type StorageConfig = Static<typeof storageConfigSchema>;
