import { StrataError } from '../../kernel/index.js';
import { checkDepth, type Payload } from '../filter/index.js';

export type { Payload } from '../filter/index.js';

export function parsePayload(value: unknown, path: string): Payload {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new StrataError('INVALID_ARGUMENT', `${path} must be a JSON object`);
  }
  checkDepth(value, path);
  return value as Payload;
}

/**
 * Which payload keys a response carries: Qdrant's `with_payload` is `true`, `false`, a list of
 * keys, or `{include: [...]}` / `{exclude: [...]}`.
 */
export type PayloadSelector =
  boolean | { readonly include: readonly string[] } | { readonly exclude: readonly string[] };

export function parsePayloadSelector(value: unknown, fallback: boolean): PayloadSelector {
  if (value === undefined || value === null) return fallback;
  if (typeof value === 'boolean') return value;
  if (isStringArray(value)) return { include: value };
  if (typeof value === 'object' && !Array.isArray(value)) {
    const { include, exclude } = value as Record<string, unknown>;
    if (isStringArray(include)) return { include };
    if (isStringArray(exclude)) return { exclude };
  }
  throw new StrataError(
    'INVALID_ARGUMENT',
    'with_payload must be true, false, a list of keys, {"include": [...]} or {"exclude": [...]}',
  );
}

export function selectPayload(payload: Payload, selector: PayloadSelector): Payload | undefined {
  if (selector === false) return undefined;
  if (selector === true) return payload;
  if ('include' in selector) {
    return Object.fromEntries(
      selector.include.filter((key) => key in payload).map((key) => [key, payload[key]]),
    );
  }
  const excluded = new Set(selector.exclude);
  return Object.fromEntries(Object.entries(payload).filter(([key]) => !excluded.has(key)));
}

/** Qdrant's set_payload: merge keys into the payload, or into the object at the dotted `key` path. */
export function mergePayload(payload: Payload, update: Payload, key?: string): Payload {
  if (key === undefined) return { ...payload, ...update };
  const [head, ...rest] = key.split('.');
  if (head === undefined || head === '')
    throw new StrataError('INVALID_ARGUMENT', `key ${JSON.stringify(key)} is empty`);
  const child = payload[head];
  const base = typeof child === 'object' && child !== null && !Array.isArray(child) ? (child as Payload) : {};
  return {
    ...payload,
    [head]: rest.length === 0 ? { ...base, ...update } : mergePayload(base, update, rest.join('.')),
  };
}

/** Qdrant's delete_payload: remove top-level or dotted keys. */
export function deletePayloadKeys(payload: Payload, keys: readonly string[]): Payload {
  const copy = structuredClone(payload);
  for (const key of keys) {
    const path = key.split('.');
    let node: unknown = copy;
    for (const segment of path.slice(0, -1)) {
      node = typeof node === 'object' && node !== null ? (node as Payload)[segment] : undefined;
    }
    const last = path[path.length - 1];
    if (last !== undefined && typeof node === 'object' && node !== null) Reflect.deleteProperty(node, last);
  }
  return copy;
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
