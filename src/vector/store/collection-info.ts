import { explainedVarianceRatio } from '../algorithms/pca.js';
import type { Collection } from '../collection/collection.js';
import { distanceName, type CollectionParams } from '../collection/params.js';
import type { Json } from './requests.js';

/**
 * A collection's info in Qdrant's shape (GET /collections/{name}). Qdrant's segment, WAL and
 * optimizer settings that Strata has no counterpart for are reported as one segment with
 * nothing to optimise, so that clients which read them find the fields.
 */
export function collectionInfo(collection: Collection): Json {
  const params = collection.params;
  return {
    status: 'green',
    optimizer_status: 'ok',
    indexed_vectors_count: collection.pointCount,
    points_count: collection.pointCount,
    segments_count: 1,
    config: {
      params: {
        vectors: {
          size: params.dimension,
          distance: distanceName(params.metric),
          ...(params.onDisk === undefined ? {} : { on_disk: params.onDisk }),
        },
        shard_number: 1,
        replication_factor: 1,
        write_consistency_factor: 1,
        on_disk_payload: false,
      },
      hnsw_config: {
        m: params.m,
        ef_construct: params.efConstruct,
        full_scan_threshold: params.fullScanThreshold,
        max_indexing_threads: 1,
        on_disk: false,
      },
      optimizer_config: {
        deleted_threshold: 0.5,
        vacuum_min_vector_number: 0,
        default_segment_number: 1,
        max_segment_size: null,
        memmap_threshold: null,
        indexing_threshold: 0,
        flush_interval_sec: 0,
        max_optimization_threads: 1,
      },
      wal_config: { wal_capacity_mb: 64, wal_segments_ahead: 0 },
      quantization_config: params.quantization ?? null,
      // Strata's: the PCA reduction set by PUT /collections/{name}/pca (decision 0017).
      pca_config: pcaInfo(params.pca),
    },
    payload_schema: collection.payloadSchema(),
  };
}

/** What collection info shows of a PCA reduction: its shape and how much variance it keeps. */
function pcaInfo(pca: CollectionParams['pca']): Json | null {
  if (pca === undefined) return null;
  const { model, oversampling } = pca;
  return {
    components: model.components,
    dimension: model.dimension,
    oversampling,
    explained_variance_ratio: explainedVarianceRatio(model),
  };
}
