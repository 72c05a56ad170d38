import type { PointId } from './point-id.js';
import type { PcaReduction } from './params.js';
import type { Payload } from './payload.js';

/**
 * A collection mutation as it is logged. Operations are resolved before they are logged (a delete
 * by filter is logged as the ids it matched), so replaying the log never re-evaluates a filter and
 * always rebuilds the same state.
 */
export type Operation =
  | { readonly op: 'upsert'; readonly points: readonly PointWrite[] }
  | { readonly op: 'delete'; readonly ids: readonly PointId[] }
  | {
      readonly op: 'set_payload';
      readonly ids: readonly PointId[];
      readonly payload: Payload;
      readonly key?: string;
    }
  | { readonly op: 'overwrite_payload'; readonly ids: readonly PointId[]; readonly payload: Payload }
  | { readonly op: 'delete_payload'; readonly ids: readonly PointId[]; readonly keys: readonly string[] }
  | { readonly op: 'clear_payload'; readonly ids: readonly PointId[] }
  | { readonly op: 'create_payload_index'; readonly field: string; readonly schema: string }
  | { readonly op: 'delete_payload_index'; readonly field: string }
  /** Rebuilds the index through this PCA reduction, or without one (null). */
  | { readonly op: 'set_pca'; readonly pca: PcaReduction | null }
  | {
      readonly op: 'update_hnsw';
      readonly m: number;
      readonly efConstruct: number;
      readonly fullScanThreshold: number;
    };

export interface PointWrite {
  readonly id: PointId;
  readonly vector: readonly number[];
  readonly payload: Payload;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodeOperation(operation: Operation): Uint8Array {
  return encoder.encode(JSON.stringify(operation));
}

export function decodeOperation(bytes: Uint8Array): Operation {
  return JSON.parse(decoder.decode(bytes)) as Operation;
}
