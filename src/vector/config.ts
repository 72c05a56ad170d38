import { availableParallelism } from 'node:os';
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
    diskCache: Type.Object(
      {
        bytes: Type.Integer({
          minimum: 0,
          default: 256 * 1024 * 1024,
          description:
            'Bytes of RAM for the cache of disk blocks that every collection created with vectors.on_disk: true reads its full-precision vectors through (one least-recently-used cache for the process, 4 KiB blocks, a block cached on its second miss); a hard bound. Reads it misses go through the OS page cache. 0 turns it off. The quantized codes and the graph are in RAM besides.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    maxBatchSearches: Type.Integer({
      minimum: 1,
      default: 1024,
      description:
        'Most searches one search/batch or query/batch request may hold (REST, gRPC); a larger batch is refused with INVALID_ARGUMENT and should be split.',
    }),
    buildThreads: Type.Integer({
      minimum: 0,
      maximum: 64,
      default: 0,
      description:
        'Threads that build HNSW graphs in parallel (the calling thread and buildThreads - 1 workers) for upserts of 256 points or more, replay of the log at start and snapshot restores; the graph does not depend on the number. 1 builds serially on the calling thread, 0 takes os.availableParallelism() up to 8.',
    }),
    snapshots: Type.Object(
      {
        scheduleMinutes: Type.Number({
          minimum: 0,
          default: 0,
          description:
            'Minutes between scheduled snapshots of every collection (the same files as POST /collections/{name}/snapshots, named <collection>.scheduled-<time>.snapshot); 0 turns the schedule off.',
        }),
        keep: Type.Integer({
          minimum: 1,
          default: 3,
          description:
            'Scheduled snapshots kept per collection; older scheduled ones are deleted. Snapshots created through the API are never deleted by the schedule.',
        }),
        maxUploadBytes: Type.Integer({
          minimum: 1024,
          default: 1024 * 1024 * 1024,
          description:
            'Largest snapshot file accepted by POST /collections/{name}/snapshots/upload, in bytes (the upload is written to <data-dir>/vector/uploads while it is verified and restored, so it needs that much free disk, not memory).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

export type VectorConfig = Static<typeof vectorConfigSchema>;

/** The worker threads `buildThreads` asks for: 0 is one per available core, at most 8. */
export function buildThreadsOf(
  config: Pick<VectorConfig, 'buildThreads'>,
  cores = availableParallelism(),
): number {
  return config.buildThreads === 0 ? Math.min(cores, 8) : config.buildThreads;
}
