import { StrataError } from '../../kernel/index.js';
import type { PcaModelJson } from '../algorithms/pca.js';
import { quantizationConfigFrom, type QuantizationConfig } from '../quantization/config.js';
import type { Metric } from '../types.js';

/** A collection's fixed and tunable parameters, in Strata's terms. */
export interface CollectionParams {
  readonly dimension: number;
  readonly metric: Metric;
  readonly m: number;
  readonly efConstruct: number;
  /** Below this many matching points, a filtered search scans them exactly (Qdrant's full_scan_threshold, in points). */
  readonly fullScanThreshold: number;
  /** Qdrant's `quantization_config` as given; absent for float32 only. Fixed at creation. */
  readonly quantization?: QuantizationConfig;
  /**
   * Qdrant's `vectors.on_disk` as given (absent when not given). True keeps the full-precision
   * vectors in a file behind the process's block cache; it needs `quantization`. Fixed at creation.
   */
  readonly onDisk?: boolean;
  /** A PCA reduction the graph searches through (Strata's; set by a logged `set_pca`); absent for none. */
  readonly pca?: PcaReduction;
}

/** A fitted PCA model and the candidates per result rescored with the full vectors. */
export interface PcaReduction {
  readonly model: PcaModelJson;
  readonly oversampling: number;
}

/** Qdrant's distance names. */
export const distanceNames = {
  Cosine: 'cosine',
  Dot: 'dot',
  Euclid: 'euclidean',
  Manhattan: 'manhattan',
} as const satisfies Record<string, Metric>;

export type DistanceName = keyof typeof distanceNames;

export function distanceName(metric: Metric): DistanceName {
  const entry = Object.entries(distanceNames).find(([, value]) => value === metric);
  return (entry?.[0] ?? 'Cosine') as DistanceName;
}

export const defaultHnsw = { m: 16, efConstruct: 100, fullScanThreshold: 10_000 } as const;

const maxDimension = 65_536;

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be an object`);
  }
  return value as Record<string, unknown>;
}

function integer(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be an integer from ${min} to ${max}`);
  }
  return value;
}

/** HNSW settings from Qdrant's `hnsw_config`, over `base`. */
export function hnswFrom(
  value: unknown,
  base: Pick<CollectionParams, 'm' | 'efConstruct' | 'fullScanThreshold'>,
) {
  if (value === undefined || value === null) return base;
  const config = object(value, 'hnsw_config');
  return {
    m: config['m'] === undefined ? base.m : integer(config['m'], 'hnsw_config.m', 2, 128),
    efConstruct:
      config['ef_construct'] === undefined
        ? base.efConstruct
        : integer(config['ef_construct'], 'hnsw_config.ef_construct', 4, 10_000),
    fullScanThreshold:
      config['full_scan_threshold'] === undefined
        ? base.fullScanThreshold
        : integer(config['full_scan_threshold'], 'hnsw_config.full_scan_threshold', 0, 2 ** 31),
  };
}

/**
 * Parameters from a Qdrant create-collection body. One unnamed vector per point is supported;
 * named and sparse vectors are refused with a message saying so rather than silently ignored.
 */
export function paramsFromCreate(body: unknown): CollectionParams {
  const request = object(body ?? {}, 'body');
  const vectors = object(request['vectors'], 'vectors');
  if (!('size' in vectors)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      'vectors must be {"size": N, "distance": "Cosine"|"Dot"|"Euclid"|"Manhattan"}; named vectors are not supported yet',
    );
  }
  if (request['sparse_vectors'] !== undefined && request['sparse_vectors'] !== null) {
    throw new StrataError('INVALID_ARGUMENT', 'sparse_vectors are not supported');
  }
  const dimension = integer(vectors['size'], 'vectors.size', 1, maxDimension);
  const distance = vectors['distance'];
  if (typeof distance !== 'string' || !(distance in distanceNames)) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `vectors.distance must be one of ${Object.keys(distanceNames).join(', ')}, got ${JSON.stringify(distance)}`,
    );
  }
  const hnsw = hnswFrom(vectors['hnsw_config'] ?? request['hnsw_config'], defaultHnsw);
  const quantization = quantizationConfigFrom(
    vectors['quantization_config'] ?? request['quantization_config'],
  );
  const onDisk = onDiskFrom(vectors['on_disk']);
  // Qdrant 1.16's successor of on_disk (cold, cached, pinned) has no exact match here (decision 0014).
  if (vectors['memory'] !== undefined && vectors['memory'] !== null) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      'vectors.memory is not supported; use vectors.on_disk: true (with a quantization_config) to keep the full vectors on disk behind the block cache, or leave both out to keep them in RAM',
    );
  }
  // Qdrant would walk a float32 graph memory-mapped from disk; here only the few candidates a
  // search rescores are read from disk, so the walk needs codes in RAM (decision 0014).
  if (onDisk === true && quantization === undefined) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      'vectors.on_disk: true needs a quantization_config: the search walks quantized codes in RAM and reads only the full vectors it rescores from disk; add e.g. "quantization_config": {"scalar": {"type": "int8"}}, or leave on_disk out',
    );
  }
  return {
    dimension,
    metric: distanceNames[distance as DistanceName],
    ...hnsw,
    ...(quantization === undefined ? {} : { quantization }),
    ...(onDisk === undefined ? {} : { onDisk }),
  };
}

/** `vectors.on_disk`: true, false, or undefined when absent. */
export function onDiskFrom(value: unknown, path = 'vectors.on_disk'): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be true or false, got ${JSON.stringify(value)}`);
  }
  return value;
}

/**
 * Refuses a PATCH that would change `on_disk` (Qdrant's `vectors: {"": {"on_disk": …}}` for the
 * unnamed vector, or `vectors: {"on_disk": …}`): the full vectors' place is fixed at creation.
 */
export function fixedOnDisk(vectors: unknown, current: boolean): void {
  if (vectors === undefined || vectors === null) return;
  if (typeof vectors !== 'object' || Array.isArray(vectors)) {
    throw new StrataError('INVALID_ARGUMENT', 'vectors must be an object, e.g. {"": {"on_disk": true}}');
  }
  const diff = vectors as Record<string, unknown>;
  const unnamed = diff[''];
  const requested =
    'on_disk' in diff
      ? onDiskFrom(diff['on_disk'])
      : typeof unnamed === 'object' && unnamed !== null
        ? onDiskFrom((unnamed as Record<string, unknown>)['on_disk'], 'vectors."".on_disk')
        : undefined;
  if (requested !== undefined && requested !== current) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `vectors.on_disk is fixed when a collection is created (this one has on_disk: ${current}); create a new collection with the on_disk you want and copy the points over, or restore a snapshot into it`,
    );
  }
}
