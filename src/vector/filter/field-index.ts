// One payload index: the points holding each value of one field, and for numeric fields the
// values in sorted order for ranges. Qdrant's field_schema names the types.
import { valuesAt } from './key-path.js';
import type { KeyPath, Payload, Range } from './types.js';

export type PayloadSchemaType = 'keyword' | 'integer' | 'float' | 'bool';
export const payloadSchemaTypes: readonly PayloadSchemaType[] = ['keyword', 'integer', 'float', 'bool'];

type Key = string | number | boolean;

const accepts: Record<PayloadSchemaType, (v: unknown) => v is Key> = {
  keyword: (v): v is string => typeof v === 'string',
  integer: (v): v is number => typeof v === 'number' && Number.isInteger(v),
  float: (v): v is number => typeof v === 'number',
  bool: (v): v is boolean => typeof v === 'boolean',
};

// First position in the ascending `keys` whose key is not before x (strict: after x).
function lowerBound(keys: Float64Array, x: number, strict: boolean): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const k = keys[mid] ?? 0;
    if (k < x || (strict && k === x)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class FieldIndex {
  /** Points holding at least one indexed value: Qdrant's `points` in payload_schema. */
  points = 0;
  private readonly byValue = new Map<Key, Set<number>>();
  // Numbers an integer index cannot hold: while there are any, ranges must read payloads.
  private fractions = 0;
  private sorted: Float64Array | undefined;

  constructor(
    readonly key: KeyPath,
    readonly type: PayloadSchemaType,
  ) {}

  private keysOf(payload: Payload): { keys: Key[]; fractions: number } {
    const keys: Key[] = [];
    let fractions = 0;
    for (const value of valuesAt(payload, this.key)) {
      // Conditions look one level into arrays, so the index does too.
      for (const v of Array.isArray(value) ? (value as unknown[]) : [value]) {
        if (accepts[this.type](v)) keys.push(v);
        else if (typeof v === 'number') fractions++;
      }
    }
    return { keys, fractions };
  }

  insert(id: number, payload: Payload): void {
    const { keys, fractions } = this.keysOf(payload);
    this.fractions += fractions;
    if (keys.length > 0) this.points++;
    for (const key of keys) {
      let ids = this.byValue.get(key);
      if (ids === undefined) {
        ids = new Set();
        this.byValue.set(key, ids);
        this.sorted = undefined;
      }
      ids.add(id);
    }
  }

  /** `payload` must be the one `insert` saw for this id. */
  remove(id: number, payload: Payload): void {
    const { keys, fractions } = this.keysOf(payload);
    this.fractions -= fractions;
    let held = false;
    for (const key of keys) {
      const ids = this.byValue.get(key);
      if (ids?.delete(id) !== true) continue;
      held = true;
      if (ids.size === 0) {
        this.byValue.delete(key);
        this.sorted = undefined;
      }
    }
    if (held) this.points--;
  }

  /** Points holding `value`, or undefined when this index does not hold that kind of value. */
  lookup(value: Key): ReadonlySet<number> | undefined {
    if (!accepts[this.type](value)) return undefined;
    return this.byValue.get(value) ?? new Set();
  }

  /** Points with a value in range, or undefined when this index cannot answer exactly. */
  range(range: Range): ReadonlySet<number> | undefined {
    if (this.type !== 'float' && this.type !== 'integer') return undefined;
    if (this.fractions > 0) return undefined;
    // Re-sorted lazily after new distinct values arrive: writes stay O(1), the next range pays.
    this.sorted ??= Float64Array.from(this.byValue.keys() as Iterable<number>).sort();
    const keys = this.sorted;
    let from = 0;
    let to = keys.length;
    if (range.gte !== undefined) from = Math.max(from, lowerBound(keys, range.gte, false));
    if (range.gt !== undefined) from = Math.max(from, lowerBound(keys, range.gt, true));
    if (range.lte !== undefined) to = Math.min(to, lowerBound(keys, range.lte, true));
    if (range.lt !== undefined) to = Math.min(to, lowerBound(keys, range.lt, false));
    const out = new Set<number>();
    for (let i = from; i < to; i++) for (const id of this.byValue.get(keys[i] ?? 0) ?? []) out.add(id);
    return out;
  }
}
