import { protoPath } from './proto-files.js';
import { StrataError } from '../../kernel/index.js';
import type { VectorProcedures } from '../../vector/index.js';

type ScoredPointResult = ReturnType<VectorProcedures['search']>['result'][number];
type PointResult = ReturnType<VectorProcedures['retrieve']>[number];

/**
 * `strata.vector.v1` messages as @grpc/proto-loader hands them over with `protoLoadOptions` (proto-files.ts) (field
 * names as in the .proto, 64-bit integers as decimal strings, defaults filled in, a oneof's
 * chosen field named by `kind`), and their translation to and from the Qdrant-shaped JSON that
 * the vector procedures validate. Nothing is validated here beyond what JSON text needs.
 */

export const vectorProtoPath = protoPath('strata_vector_v1.proto');

type Json = Record<string, unknown>;

export interface PointIdMessage {
  readonly kind?: 'num' | 'uuid';
  readonly num?: string | number;
  readonly uuid?: string;
}

export interface PointMessage {
  readonly id: PointIdMessage | null;
  readonly vector: readonly number[];
  readonly payload_json: string;
}

export interface CreateCollectionMessage {
  readonly collection_name: string;
  readonly size: number;
  readonly distance: string;
  readonly hnsw_config_json: string;
  readonly quantization_config_json: string;
  /** Proto3 `optional`: absent when the client did not set it. */
  readonly on_disk?: boolean;
}

/** Proto3 `optional` fields are absent when not set, so REST's defaults apply as they would there. */
export interface SetPcaMessage {
  readonly collection_name: string;
  readonly components: number;
  readonly sample?: number;
  readonly oversampling?: number;
  readonly seed?: number;
}

export interface UpsertMessage {
  readonly collection_name: string;
  readonly points: readonly PointMessage[];
}

export interface SearchMessage {
  readonly collection_name: string;
  readonly vector: readonly number[];
  readonly limit: number;
  readonly offset: number;
  readonly filter_json: string;
  readonly with_payload: boolean;
  readonly with_vector: boolean;
  readonly explain: boolean;
}

export interface RetrieveMessage {
  readonly collection_name: string;
  readonly ids: readonly PointIdMessage[];
  readonly with_payload: boolean;
  readonly with_vector: boolean;
}

export interface DeleteMessage {
  readonly collection_name: string;
  readonly ids: readonly PointIdMessage[];
  readonly filter_json: string;
}

export interface ScrollMessage {
  readonly collection_name: string;
  readonly limit: number;
  readonly offset: PointIdMessage | null;
  readonly filter_json: string;
  readonly with_payload: boolean;
  readonly with_vector: boolean;
}

/** A `*_json` field's value; empty text is absent. */
export function jsonField(text: string, field: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${field} is not JSON text; send a JSON object or leave it empty`,
    );
  }
}

/**
 * A point id as the procedures parse it. Integers beyond 2^53 stay strings, which the procedures
 * refuse with their own message rather than round to another point.
 */
export function pointIdJson(id: PointIdMessage | null | undefined): unknown {
  if (id?.kind === 'uuid') return id.uuid;
  if (id?.kind !== 'num') return undefined;
  const value = Number(id.num);
  return Number.isSafeInteger(value) ? value : String(id.num);
}

export function pointIdMessage(id: number | string): PointIdMessage {
  return typeof id === 'number' ? { num: String(id) } : { uuid: id };
}

/** Zero is a proto3 default, not a choice: the procedures' own default applies. */
const nonZero = (value: number): number | undefined => (value === 0 ? undefined : value);

export function createCollectionJson(message: CreateCollectionMessage): Json {
  return {
    vectors: {
      size: message.size,
      distance: message.distance,
      ...(message.on_disk === undefined ? {} : { on_disk: message.on_disk }),
    },
    hnsw_config: jsonField(message.hnsw_config_json, 'hnsw_config_json'),
    quantization_config: jsonField(message.quantization_config_json, 'quantization_config_json'),
  };
}

export function setPcaJson(message: SetPcaMessage): Json {
  return {
    components: message.components,
    sample: message.sample,
    oversampling: message.oversampling,
    seed: message.seed,
  };
}

export function upsertJson(message: UpsertMessage): Json {
  return {
    points: message.points.map((point) => ({
      id: pointIdJson(point.id),
      vector: point.vector,
      payload: jsonField(point.payload_json, 'payload_json'),
    })),
  };
}

export function searchJson(message: SearchMessage): Json {
  return {
    vector: message.vector,
    limit: nonZero(message.limit),
    offset: nonZero(message.offset),
    filter: jsonField(message.filter_json, 'filter_json'),
    with_payload: message.with_payload,
    with_vector: message.with_vector,
    ...(message.explain ? { params: { explain: true } } : {}),
  };
}

export function retrieveJson(message: RetrieveMessage): Json {
  return {
    ids: message.ids.map(pointIdJson),
    with_payload: message.with_payload,
    with_vector: message.with_vector,
  };
}

/** Qdrant's delete takes `points` or `filter`, one of them. */
export function deleteJson(message: DeleteMessage): Json {
  return message.ids.length > 0
    ? { points: message.ids.map(pointIdJson) }
    : { filter: jsonField(message.filter_json, 'filter_json') };
}

export function scrollJson(message: ScrollMessage): Json {
  return {
    limit: nonZero(message.limit),
    offset: pointIdJson(message.offset),
    filter: jsonField(message.filter_json, 'filter_json'),
    with_payload: message.with_payload,
    with_vector: message.with_vector,
  };
}

export function pointMessage(point: PointResult): unknown {
  return {
    id: pointIdMessage(point.id),
    vector: point.vector ?? [],
    payload_json: point.payload === undefined ? '' : JSON.stringify(point.payload),
  };
}

export function scoredPointMessage(point: ScoredPointResult): unknown {
  return { ...(pointMessage(point) as Json), score: point.score, version: String(point.version) };
}

/** A SearchResponse: the points, and `explain_json` when the search asked for it. */
export function searchMessage(points: readonly ScoredPointResult[], explain: object | undefined): unknown {
  return {
    points: points.map(scoredPointMessage),
    ...(explain === undefined ? {} : { explain_json: JSON.stringify(explain) }),
  };
}
