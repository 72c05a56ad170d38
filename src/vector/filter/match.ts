// Whether a point passes a filter, with Qdrant's semantics (lib/segment/src/payload_storage/
// query_checker.rs and condition_checker.rs):
// - must: all; must_not: none; should: at least one, and an explicit empty should matches
//   nothing; min_should: at least min_count. Clauses left out do not restrict.
// - A field condition on a key that reaches no value is false, so must_not of it is true.
// - A value that is an array matches when one of its elements does (one level deep).
// - is_empty: the key is missing, or every value it reaches is null or []. is_null: some value
//   it reaches is null itself ([null] is not null, and not empty either).
// - has_id inside nested is false: nested objects have no ids.
import { valuesAt } from './key-path.js';
import {
  WILDCARD,
  type Condition,
  type Filter,
  type KeyPath,
  type Match,
  type Payload,
  type PointId,
  type Range,
} from './types.js';

export function matchesFilter(filter: Filter, id: PointId | undefined, payload: Payload): boolean {
  const check = (c: Condition): boolean => matchesCondition(c, id, payload);
  const { must, should, mustNot, minShould } = filter;
  if (must !== undefined && !must.every(check)) return false;
  if (mustNot?.some(check) === true) return false;
  if (should !== undefined && !should.some(check)) return false;
  if (minShould !== undefined) {
    let found = 0;
    for (const c of minShould.conditions) if (found < minShould.minCount && check(c)) found++;
    if (found < minShould.minCount) return false;
  }
  return true;
}

function matchesCondition(c: Condition, id: PointId | undefined, payload: Payload): boolean {
  switch (c.kind) {
    case 'filter':
      return matchesFilter(c.filter, id, payload);
    case 'has_id':
      return id !== undefined && c.ids.has(typeof id === 'string' ? id.toLowerCase() : id);
    case 'is_empty':
      return valuesAt(payload, c.key).every((v) => v === null || (Array.isArray(v) && v.length === 0));
    case 'is_null':
      return valuesAt(payload, c.key).some((v) => v === null);
    case 'nested': {
      // Qdrant's nested.array_key(): the objects are the elements of the array at `key`.
      const last = c.key.steps[c.key.steps.length - 1];
      const key: KeyPath =
        last === WILDCARD ? c.key : { text: c.key.text, steps: [...c.key.steps, WILDCARD] };
      return valuesAt(payload, key).some((v) => isObject(v) && matchesFilter(c.filter, undefined, v));
    }
    case 'match':
      return anyValue(valuesAt(payload, c.key), (v) => matchValue(c.match, v));
    case 'range':
      return anyValue(valuesAt(payload, c.key), (v) => typeof v === 'number' && inRange(c.range, v));
  }
}

function isObject(value: unknown): value is Payload {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function anyValue(values: readonly unknown[], test: (v: unknown) => boolean): boolean {
  for (const v of values) {
    if (Array.isArray(v) ? v.some(test) : test(v)) return true;
  }
  return false;
}

export function inRange(r: Range, x: number): boolean {
  return (
    (r.gt === undefined || x > r.gt) &&
    (r.gte === undefined || x >= r.gte) &&
    (r.lt === undefined || x < r.lt) &&
    (r.lte === undefined || x <= r.lte)
  );
}

// JSON cannot tell 3 from 3.0 once parsed, so an integral float matches an integer; Qdrant,
// which keeps the distinction, would not match 3.0.
function matchValue(m: Match, v: unknown): boolean {
  switch (m.kind) {
    case 'value':
      return typeof m.value === 'number' ? typeof v === 'number' && v === m.value : v === m.value;
    case 'text':
      return typeof v === 'string' && v.includes(m.text);
    case 'text_any':
      return typeof v === 'string' && m.words.some((w) => v.includes(w));
    case 'any':
      return m.type === 'keyword'
        ? typeof v === 'string' && m.values.has(v)
        : typeof v === 'number' && Number.isInteger(v) && m.values.has(v);
    case 'except':
      // Qdrant's MatchExcept: null never matches; a value of the list's type matches when it is
      // not listed; any other value (a bool, an object, a number against keywords) matches.
      if (v === null) return false;
      if (m.type === 'keyword' && typeof v === 'string') return !m.values.has(v);
      if (m.type === 'integer' && typeof v === 'number') return !Number.isInteger(v) || !m.values.has(v);
      return true;
  }
}
