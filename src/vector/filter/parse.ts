// Qdrant's filter JSON (https://qdrant.tech/documentation/concepts/filtering/) into the syntax
// tree of types.ts. Everything is validated here, once, so that matching never meets a malformed
// node; every message starts with the JSON path of the offending value.
import { StrataError } from '../../kernel/index.js';
import { checkDepth } from './depth.js';
import { parseKeyPath } from './key-path.js';
import { normalizePointId } from './point-id.js';
import type { Condition, Filter, KeyPath, Match, MinShould, PointId, Range, ValueList } from './types.js';

type Json = Record<string, unknown>;

function fail(path: string, message: string): never {
  throw new StrataError('INVALID_ARGUMENT', `${path}: ${message}`, { details: { path } });
}

function object(json: unknown, path: string, what: string): Json {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) fail(path, `must be ${what}`);
  return json as Json;
}

function onlyKeys(json: Json, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(json)) {
    if (!allowed.includes(key))
      fail(`${path}.${key}`, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

const FILTER_KEYS = ['must', 'should', 'must_not', 'min_should'] as const;

/** Parses and validates a Qdrant filter; throws INVALID_ARGUMENT naming the bad value's path. */
export function parseFilter(json: unknown, path = 'filter'): Filter {
  if (path === 'filter') checkDepth(json, path);
  const raw = object(json, path, 'an object with must, should, must_not or min_should');
  onlyKeys(raw, path, FILTER_KEYS);
  const clause = (name: string): readonly Condition[] | undefined =>
    raw[name] === undefined || raw[name] === null ? undefined : conditions(raw[name], `${path}.${name}`);
  const must = clause('must');
  const should = clause('should');
  const mustNot = clause('must_not');
  const minShould =
    raw['min_should'] === undefined || raw['min_should'] === null
      ? undefined
      : parseMinShould(raw['min_should'], `${path}.min_should`);
  return {
    ...(must && { must }),
    ...(should && { should }),
    ...(mustNot && { mustNot }),
    ...(minShould && { minShould }),
  };
}

// Qdrant takes one condition or an array of them for each clause.
function conditions(json: unknown, path: string): Condition[] {
  if (!Array.isArray(json)) return [parseCondition(json, path)];
  return json.map((item, i) => parseCondition(item, `${path}[${i}]`));
}

function parseMinShould(json: unknown, path: string): MinShould {
  const raw = object(json, path, 'an object with conditions and min_count');
  onlyKeys(raw, path, ['conditions', 'min_count']);
  const minCount = raw['min_count'];
  if (typeof minCount !== 'number' || !Number.isSafeInteger(minCount) || minCount < 0)
    fail(`${path}.min_count`, 'must be an unsigned integer');
  if (raw['conditions'] === undefined) fail(`${path}.conditions`, 'is required');
  return { conditions: conditions(raw['conditions'], `${path}.conditions`), minCount };
}

function keyOf(json: unknown, path: string): KeyPath {
  if (typeof json !== 'string') fail(path, 'must be a string such as "a", "a.b" or "a[].b"');
  const key = parseKeyPath(json);
  if (typeof key === 'string') fail(path, key);
  return key;
}

function keyCondition(json: unknown, path: string): KeyPath {
  const raw = object(json, path, 'an object with a key');
  onlyKeys(raw, path, ['key']);
  return keyOf(raw['key'], `${path}.key`);
}

const UNSUPPORTED = ['geo_bounding_box', 'geo_radius', 'geo_polygon', 'values_count', 'datetime_range'];

function parseCondition(json: unknown, path: string): Condition {
  const raw = object(json, path, 'a condition object');
  if ('key' in raw) return fieldCondition(raw, path);
  if ('is_empty' in raw) {
    onlyKeys(raw, path, ['is_empty']);
    return { kind: 'is_empty', key: keyCondition(raw['is_empty'], `${path}.is_empty`) };
  }
  if ('is_null' in raw) {
    onlyKeys(raw, path, ['is_null']);
    return { kind: 'is_null', key: keyCondition(raw['is_null'], `${path}.is_null`) };
  }
  if ('has_id' in raw) {
    onlyKeys(raw, path, ['has_id']);
    return { kind: 'has_id', ids: pointIds(raw['has_id'], `${path}.has_id`) };
  }
  if ('nested' in raw) {
    onlyKeys(raw, path, ['nested']);
    const nested = object(raw['nested'], `${path}.nested`, 'an object with key and filter');
    onlyKeys(nested, `${path}.nested`, ['key', 'filter']);
    const key = keyOf(nested['key'], `${path}.nested.key`);
    return { kind: 'nested', key, filter: parseFilter(nested['filter'], `${path}.nested.filter`) };
  }
  const known = ['key', 'is_empty', 'is_null', 'has_id', 'nested', ...FILTER_KEYS];
  for (const name of Object.keys(raw)) {
    if (!(FILTER_KEYS as readonly string[]).includes(name))
      fail(`${path}.${name}`, `unknown condition; expected one of ${known.join(', ')}`);
  }
  return { kind: 'filter', filter: parseFilter(raw, path) };
}

function pointIds(json: unknown, path: string): ReadonlySet<PointId> {
  if (!Array.isArray(json)) fail(path, 'must be an array of point ids');
  return new Set(
    json.map((item, i) => {
      const id = normalizePointId(item);
      if (id === undefined) fail(`${path}[${i}]`, 'must be an unsigned integer or a UUID');
      return id;
    }),
  );
}

function fieldCondition(raw: Json, path: string): Condition {
  const key = keyOf(raw['key'], `${path}.key`);
  for (const name of Object.keys(raw)) {
    if (UNSUPPORTED.includes(name)) fail(`${path}.${name}`, 'is not supported yet; use match or range');
  }
  onlyKeys(raw, path, ['key', 'match', 'range']);
  const hasMatch = raw['match'] !== undefined;
  const hasRange = raw['range'] !== undefined;
  if (hasMatch === hasRange) fail(path, 'a field condition needs exactly one of match or range');
  if (hasMatch) return { kind: 'match', key, match: parseMatch(raw['match'], `${path}.match`) };
  return { kind: 'range', key, range: parseRange(raw['range'], `${path}.range`) };
}

const MATCH_KEYS = ['value', 'any', 'except', 'text', 'text_any', 'phrase'];

function parseMatch(json: unknown, path: string): Match {
  const raw = object(json, path, `an object with one of ${MATCH_KEYS.join(', ')}`);
  onlyKeys(raw, path, MATCH_KEYS);
  const present = Object.keys(raw);
  if (present.length !== 1) fail(path, `must have exactly one of ${MATCH_KEYS.join(', ')}`);
  const kind = present[0] ?? '';
  const value = raw[kind];
  const at = `${path}.${kind}`;
  switch (kind) {
    case 'value':
      if (typeof value === 'string' || typeof value === 'boolean') return { kind: 'value', value };
      if (typeof value === 'number' && Number.isSafeInteger(value)) return { kind: 'value', value };
      return fail(at, 'must be a string, an integer or a boolean');
    case 'any':
    case 'except':
      return { kind, ...valueList(value, at) };
    default:
      if (typeof value !== 'string') fail(at, 'must be a string');
      // Without a full-text index Qdrant matches text and phrase as substrings, text_any as any
      // of its words; so do we.
      if (kind === 'text_any') return { kind: 'text_any', words: value.split(/\s+/).filter(Boolean) };
      return { kind: 'text', text: value };
  }
}

// The first element decides whether the list holds strings or integers, as in Qdrant.
function valueList(json: unknown, path: string): ValueList {
  if (!Array.isArray(json)) fail(path, 'must be an array of strings or of integers');
  if (json.length === 0 || typeof json[0] === 'string') {
    json.forEach((v, i) => {
      if (typeof v !== 'string') fail(`${path}[${i}]`, 'must be a string like the first value');
    });
    return { type: 'keyword', values: new Set(json as string[]) };
  }
  json.forEach((v, i) => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v))
      fail(`${path}[${i}]`, 'must be an integer like the first value (all strings or all integers)');
  });
  return { type: 'integer', values: new Set(json as number[]) };
}

function parseRange(json: unknown, path: string): Range {
  const raw = object(json, path, 'an object with gt, gte, lt or lte');
  onlyKeys(raw, path, ['gt', 'gte', 'lt', 'lte']);
  const range: Record<string, number> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === null) continue;
    if (typeof value !== 'number' || !Number.isFinite(value)) fail(`${path}.${name}`, 'must be a number');
    range[name] = value;
  }
  return range;
}
