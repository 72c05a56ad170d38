import { StrataError } from '../../kernel/index.js';
import {
  parsePayload,
  parsePayloadSelector,
  type Payload,
  type PayloadSelector,
} from '../collection/payload.js';
import { parsePointId, type PointId } from '../collection/point-id.js';
import type { PointWrite } from '../collection/operations.js';

/**
 * Parsing of the request bodies of the vector procedures, in Qdrant's shapes. Every transport
 * hands its body here, so REST, gRPC and GraphQL reject the same input with the same message.
 */
export type Json = Record<string, unknown>;

export function body(value: unknown): Json {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new StrataError('INVALID_ARGUMENT', 'the request body must be a JSON object');
  }
  return value as Json;
}

export function pointIds(value: unknown, path: string): PointId[] {
  if (!Array.isArray(value))
    throw new StrataError('INVALID_ARGUMENT', `${path} must be an array of point ids`);
  return value.map((id, i) => parsePointId(id, `${path}[${i}]`));
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

export function vectorOf(value: unknown, path: string, dimension: number): number[] {
  if (!Array.isArray(value)) {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be an array of ${dimension} numbers`);
  }
  if (value.length !== dimension) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${path} has ${value.length} dimensions; the collection expects ${dimension}`,
      {
        details: { expected: dimension, got: value.length },
      },
    );
  }
  for (const [i, component] of value.entries()) {
    // Vectors are stored as float32: a larger number would become Infinity there.
    if (typeof component !== 'number' || !(Math.abs(component) <= FLOAT32_MAX)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `${path}[${i}] is ${JSON.stringify(component)}; components must be finite float32 numbers (at most ±3.4e38)`,
      );
    }
  }
  return value as number[];
}

/**
 * Qdrant's upsert body: `{points: [{id, vector, payload}]}` or `{batch: {ids, vectors, payloads}}`.
 * Vectors become float32 here, as the collection stores them, so that applying the upsert now and
 * replaying it from the log start from the same numbers.
 */
export function upsertPoints(request: Json, dimension: number): PointWrite[] {
  if (Array.isArray(request['points'])) {
    return request['points'].map((raw: unknown, i) => {
      const point = body(raw);
      return {
        id: parsePointId(point['id'], `points[${i}].id`),
        vector: Float32Array.from(vectorOf(point['vector'], `points[${i}].vector`, dimension)),
        payload: parsePayload(point['payload'], `points[${i}].payload`),
      };
    });
  }
  if (request['batch'] !== undefined) {
    const batch = body(request['batch']);
    const ids = pointIds(batch['ids'], 'batch.ids');
    const vectors = batch['vectors'];
    if (!Array.isArray(vectors) || vectors.length !== ids.length) {
      throw new StrataError('INVALID_ARGUMENT', 'batch.vectors must be an array with one vector per id');
    }
    const payloads: unknown = batch['payloads'] ?? [];
    if (!Array.isArray(payloads) || (payloads.length !== 0 && payloads.length !== ids.length)) {
      throw new StrataError('INVALID_ARGUMENT', 'batch.payloads must be an array with one payload per id');
    }
    return ids.map((id, i) => ({
      id,
      vector: Float32Array.from(vectorOf(vectors[i], `batch.vectors[${i}]`, dimension)),
      payload: parsePayload(payloads[i], `batch.payloads[${i}]`),
    }));
  }
  throw new StrataError(
    'INVALID_ARGUMENT',
    'the body must have "points" (a list) or "batch" ({ids, vectors, payloads})',
  );
}

export function limit(value: unknown, path: string, fallback: number, max = 100_000): number {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be an integer from 0 to ${max}`);
  }
  return value;
}

export function optionalNumber(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value))
    throw new StrataError('INVALID_ARGUMENT', `${path} must be a number`);
  return value;
}

export function withPayload(request: Json, fallback: boolean): PayloadSelector {
  return parsePayloadSelector(request['with_payload'], fallback);
}

export function withVector(request: Json): boolean {
  const value = request['with_vector'] ?? false;
  if (typeof value !== 'boolean')
    throw new StrataError('INVALID_ARGUMENT', 'with_vector must be true or false');
  return value;
}

export function payloadOf(request: Json): Payload {
  const payload = request['payload'];
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw new StrataError('INVALID_ARGUMENT', 'payload must be a JSON object');
  }
  return parsePayload(payload, 'payload');
}

export function stringList(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be an array of strings`);
  }
  return value;
}

/** `json[field]` as an integer in [min, max], or `fallback` when absent; INVALID_ARGUMENT naming the field otherwise. */
export function integerField(json: Json, field: string, min: number, max: number, fallback?: number): number {
  const value = json[field] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `${field} must be an integer from ${String(min)} to ${String(max)}; got ${JSON.stringify(value ?? null)}`,
      { details: { field, min, max } },
    );
  }
  return value;
}
