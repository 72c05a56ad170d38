import { StrataError } from '../../kernel/index.js';
import { FieldIndex, payloadSchemaTypes, type PayloadSchemaType } from './field-index.js';
import { canonicalKey, parseKeyPath } from './key-path.js';
import type { Condition, Payload } from './types.js';

/** Qdrant's `payload_schema` entry for one indexed field. */
export interface PayloadFieldSchema {
  readonly data_type: PayloadSchemaType;
  readonly points: number;
}

/**
 * A collection's payload indexes, keyed by field, created and dropped at run time. The owner
 * calls insert and remove with every point's payload as it changes; the planner asks `lookup`
 * for the points a condition selects.
 */
export class PayloadIndexes {
  private readonly fields = new Map<string, FieldIndex>();

  /**
   * Indexes `field` as `type`, filled from `points`; replaces an index of another type, as
   * Qdrant does. Throws INVALID_ARGUMENT for a bad key or type.
   */
  create(field: string, type: string, points: Iterable<readonly [number, Payload]> = []): void {
    const key = parseKeyPath(field);
    if (typeof key === 'string') throw new StrataError('INVALID_ARGUMENT', `field_name: ${key}`);
    if (!(payloadSchemaTypes as readonly string[]).includes(type)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `field_schema: "${type}" is not supported; expected one of ${payloadSchemaTypes.join(', ')}`,
      );
    }
    const index = new FieldIndex(key, type as PayloadSchemaType);
    for (const [id, payload] of points) index.insert(id, payload);
    this.fields.set(canonicalKey(key), index);
  }

  /** Returns whether the field was indexed. */
  drop(field: string): boolean {
    const key = parseKeyPath(field);
    return typeof key !== 'string' && this.fields.delete(canonicalKey(key));
  }

  insert(id: number, payload: Payload): void {
    for (const index of this.fields.values()) index.insert(id, payload);
  }

  /** `payload` must be the one last inserted for this id. */
  remove(id: number, payload: Payload): void {
    for (const index of this.fields.values()) index.remove(id, payload);
  }

  schema(): Record<string, PayloadFieldSchema> {
    const out: Record<string, PayloadFieldSchema> = {};
    for (const index of this.fields.values()) {
      out[index.key.text] = { data_type: index.type, points: index.points };
    }
    return out;
  }

  /**
   * The points a field condition selects, exactly, when an index can answer it; undefined
   * otherwise (no index on the key, a condition the index type cannot answer, `except`, text).
   */
  lookup(condition: Condition): ReadonlySet<number> | undefined {
    if (condition.kind !== 'match' && condition.kind !== 'range') return undefined;
    const index = this.fields.get(canonicalKey(condition.key));
    if (index === undefined) return undefined;
    if (condition.kind === 'range') return index.range(condition.range);
    const { match } = condition;
    if (match.kind === 'value') return index.lookup(match.value);
    if (match.kind !== 'any') return undefined;
    const out = new Set<number>();
    for (const value of match.values) {
      const ids = index.lookup(value);
      if (ids === undefined) return undefined;
      for (const id of ids) out.add(id);
    }
    return out;
  }
}
