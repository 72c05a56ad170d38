import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { StrataError } from '../../kernel/index.js';
import { configSchema, type StrataConfig } from './schema.js';
import { configLeaves, describeType, type ConfigLeaf, type JsonSchema } from './schema-walk.js';

/** Where the configuration comes from; later sources override earlier ones. */
export interface ConfigSources {
  /** A YAML or JSON file (by extension: .json is JSON, anything else YAML). */
  readonly file?: string;
  /** The process environment; only `STRATA_*` variables are read. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Command-line settings as dotted keys, e.g. `{ 'server.httpPort': '9000' }`. */
  readonly flags?: Readonly<Record<string, string>>;
}

interface Problem {
  readonly key: string;
  readonly message: string;
  readonly source?: string;
}

type Tree = Record<string, unknown>;

const rootSchema = configSchema as unknown as JsonSchema;
const leaves = configLeaves(rootSchema);
const leafByKey = new Map(leaves.map((leaf) => [leaf.key, leaf]));
const leafByEnv = new Map(leaves.map((leaf) => [leaf.env, leaf]));

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
const validate = ajv.compile<StrataConfig>(configSchema);

/**
 * Defaults → file → `STRATA_*` environment → flags, validated once against the schema and frozen.
 * Every problem is reported at once, each with its key path, what is allowed and where the bad
 * value came from.
 */
export function loadConfig(sources: ConfigSources = {}): StrataConfig {
  const problems: Problem[] = [];
  const origin = new Map<string, string>();
  const merged: Tree = {};

  if (sources.file !== undefined) {
    const fromFile = readConfigFile(sources.file);
    recordOrigins(fromFile, [], `config file ${sources.file}`, origin);
    deepMerge(merged, fromFile);
  }
  for (const [name, raw] of Object.entries(sources.env ?? {})) {
    if (!name.startsWith('STRATA_') || raw === undefined) continue;
    const leaf = leafByEnv.get(name);
    if (leaf === undefined) {
      problems.push({
        key: name,
        message: `matches no configuration key${suggest(name, [...leafByEnv.keys()])}`,
      });
      continue;
    }
    setLeaf(merged, leaf, raw, name, origin);
  }
  for (const [key, raw] of Object.entries(sources.flags ?? {})) {
    const leaf = leafByKey.get(key);
    if (leaf === undefined) {
      problems.push({
        key,
        message: `is not a configuration key${suggest(key, [...leafByKey.keys()])}`,
        source: 'flags',
      });
      continue;
    }
    setLeaf(merged, leaf, raw, 'flags', origin);
  }

  if (!validate(merged)) {
    for (const error of validate.errors ?? []) problems.push(describeAjvError(error, origin));
  }
  if (problems.length > 0) {
    const lines = problems.map(
      (p) => `  ${p.key}: ${p.message}${p.source === undefined ? '' : ` (from ${p.source})`}`,
    );
    throw new StrataError('CONFIG_INVALID', `invalid configuration:\n${lines.join('\n')}`, {
      details: { problems },
    });
  }
  return deepFreeze(merged as StrataConfig);
}

function readConfigFile(file: string): Tree {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new StrataError('CONFIG_INVALID', `cannot read config file ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let parsed: unknown;
  try {
    parsed = extname(file).toLowerCase() === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (cause) {
    throw new StrataError('CONFIG_INVALID', `cannot parse config file ${file}: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (parsed === null || parsed === undefined) return {};
  if (!isTree(parsed)) {
    throw new StrataError(
      'CONFIG_INVALID',
      `config file ${file} must hold a mapping of keys, not ${typeof parsed}`,
    );
  }
  return parsed;
}

/** Env and flag values are strings; the leaf's schema says what they mean. */
function coerce(leaf: ConfigLeaf, raw: string): unknown {
  const { type, items } = leaf.schema;
  if (type === 'integer' || type === 'number')
    return raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  if (type === 'boolean') return raw === 'true' ? true : raw === 'false' ? false : raw;
  // A map such as security.quotas.tenants is given whole, as JSON; anything else fails validation.
  if (type === 'object') return parseJsonOr(raw);
  if (type === 'array') {
    const parts = raw.split(',').map((part) => part.trim());
    return items?.type === 'integer' || items?.type === 'number' ? parts.map(Number) : parts;
  }
  return raw;
}

function parseJsonOr(raw: string): unknown {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function setLeaf(
  tree: Tree,
  leaf: ConfigLeaf,
  raw: string,
  source: string,
  origin: Map<string, string>,
): void {
  let node = tree;
  for (const segment of leaf.path.slice(0, -1)) {
    const child = node[segment];
    if (isTree(child)) node = child;
    else node = node[segment] = {};
  }
  node[leaf.path[leaf.path.length - 1] ?? ''] = coerce(leaf, raw);
  origin.set(leaf.key, source);
}

function recordOrigins(value: unknown, path: string[], source: string, origin: Map<string, string>): void {
  if (isTree(value)) {
    for (const [name, child] of Object.entries(value)) recordOrigins(child, [...path, name], source, origin);
  }
  origin.set(path.join('.'), source);
}

function describeAjvError(error: ErrorObject, origin: Map<string, string>): Problem {
  const path = error.instancePath.split('/').filter(Boolean);
  if (error.keyword === 'additionalProperty' || error.keyword === 'additionalProperties') {
    const name = (error.params as { additionalProperty: string }).additionalProperty;
    const key = [...path, name].join('.');
    const allowed = Object.keys(schemaAt(path)?.properties ?? {});
    return {
      key,
      message: `unknown key; allowed here: ${allowed.join(', ')}${suggest(name, allowed)}`,
      ...sourceOf(key, origin),
    };
  }
  const key = path.join('.') || '(root)';
  const leaf = leafByKey.get(path.filter((segment) => !/^\d+$/.test(segment)).join('.'));
  let message = error.message ?? 'is invalid';
  if (error.keyword === 'enum') {
    message = `must be one of ${(error.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (leaf !== undefined && error.keyword === 'type') {
    message = `${message} (expected ${describeType(leaf.schema)})`;
  }
  return { key, message, ...sourceOf(key, origin) };
}

function schemaAt(path: readonly string[]): JsonSchema | undefined {
  let schema: JsonSchema | undefined = rootSchema;
  for (const segment of path) schema = schema?.properties?.[segment];
  return schema;
}

function sourceOf(key: string, origin: Map<string, string>): { source?: string } {
  for (let probe = key; probe !== ''; probe = probe.slice(0, Math.max(0, probe.lastIndexOf('.')))) {
    const source = origin.get(probe);
    if (source !== undefined) return { source };
  }
  return {};
}

/** "did you mean" for a near-miss: the first candidate within edit distance 2. */
function suggest(given: string, candidates: readonly string[]): string {
  const close = candidates.find(
    (candidate) => editDistance(given.toLowerCase(), candidate.toLowerCase()) <= 2,
  );
  return close === undefined ? '' : `; did you mean ${close}?`;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function isTree(value: unknown): value is Tree {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(target: Tree, source: Tree): void {
  for (const [name, value] of Object.entries(source)) {
    const existing = target[name];
    if (isTree(existing) && isTree(value)) deepMerge(existing, value);
    else target[name] = value;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
