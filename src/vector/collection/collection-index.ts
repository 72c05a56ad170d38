import { pcaFromJson } from '../algorithms/pca.js';
import type { BuildPool } from '../build/index.js';
import { HnswIndex } from '../hnsw-index.js';
import { quantizationOf } from '../quantization/config.js';
import type { FullVectorsFactory } from '../quantization/full-vectors.js';
import { QuantizedHnswIndex } from '../quantization/quantized-index.js';
import { PcaIndex } from '../reduced/pca-index.js';
import type { CollectionParams } from './params.js';

/**
 * Where a collection with these parameters keeps its full-precision vectors: a factory (on disk),
 * or undefined for the index's own memory. The store that owns the data directory decides.
 */
export type FullVectorsPlacement = (params: CollectionParams) => FullVectorsFactory | undefined;

export type CollectionIndex = HnswIndex | QuantizedHnswIndex | PcaIndex;

/** The index `params` call for: HNSW over float32, over quantized codes, or over PCA-reduced vectors. */
export function indexFor(
  params: CollectionParams,
  placement: FullVectorsPlacement | undefined,
  buildPool: BuildPool | undefined,
): CollectionIndex {
  const graph = {
    m: params.m,
    efConstruction: params.efConstruct,
    ...(buildPool === undefined ? {} : { buildPool }),
  };
  const fullVectors = placement?.(params);
  const stored = fullVectors === undefined ? {} : { fullVectors };
  if (params.pca !== undefined) {
    return new PcaIndex({
      metric: params.metric,
      model: pcaFromJson(params.pca.model),
      oversampling: params.pca.oversampling,
      inner: (dimension, metric) => new HnswIndex({ ...graph, dimension, metric }),
      ...stored,
    });
  }
  const full = { ...graph, dimension: params.dimension, metric: params.metric };
  if (params.quantization === undefined) return new HnswIndex(full);
  return new QuantizedHnswIndex({ ...full, quantization: quantizationOf(params.quantization), ...stored });
}
