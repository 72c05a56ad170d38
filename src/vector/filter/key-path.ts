// Payload keys as Qdrant reads them (lib/segment/src/json_path): `a.b` descends into objects
// only, `a[].b` into every element of an array, `a[2]` into one element, and `"a.b"` quotes a key
// that holds dots, brackets or spaces.
import { WILDCARD, type KeyPath, type PathStep } from './types.js';

// Qdrant's raw_str: alphanumeric (Unicode), `_` and `-`.
const RAW = /^[\p{L}\p{N}_-]+/u;
const QUOTED = /^"([^"\\]*)"/;
const INDEX = /^\[(\d+)\]/;

/** Parses a key, or returns why it is not one. */
export function parseKeyPath(text: string): KeyPath | string {
  const steps: PathStep[] = [];
  let rest = text;
  const key = (): string | undefined => {
    const raw = RAW.exec(rest);
    const found = raw?.[0] ?? QUOTED.exec(rest)?.[1];
    if (found === undefined) return undefined;
    rest = rest.slice(raw !== null ? found.length : found.length + 2);
    return found;
  };
  const first = key();
  if (first === undefined) return `"${text}" is not a key: expected a name like a, a.b or a[].b`;
  steps.push(first);
  while (rest.length > 0) {
    const at = text.length - rest.length;
    if (rest.startsWith('[]')) {
      steps.push(WILDCARD);
      rest = rest.slice(2);
      continue;
    }
    const index = INDEX.exec(rest);
    if (index !== null) {
      steps.push(Number(index[1]));
      rest = rest.slice(index[0].length);
      continue;
    }
    if (rest.startsWith('.')) {
      rest = rest.slice(1);
      const next = key();
      if (next !== undefined) {
        steps.push(next);
        continue;
      }
    }
    return `"${text}" is not a key: unexpected "${text.slice(at)}" at character ${at}`;
  }
  return { text, steps };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collect(value: unknown, steps: readonly PathStep[], from: number, out: unknown[]): void {
  if (value === undefined) return;
  if (from === steps.length) {
    out.push(value);
    return;
  }
  const step = steps[from];
  if (typeof step === 'string') {
    if (isObject(value) && Object.hasOwn(value, step)) collect(value[step], steps, from + 1, out);
  } else if (Array.isArray(value)) {
    if (step === WILDCARD) for (const element of value) collect(element, steps, from + 1, out);
    else if (step !== undefined && step < value.length) collect(value[step], steps, from + 1, out);
  }
}

/**
 * Every value the key reaches, as Qdrant's value_get: none when the key is missing, several when
 * it passes through `[]`. A value that is itself an array is returned whole; conditions look at
 * its elements one level deep.
 */
export function valuesAt(payload: Readonly<Record<string, unknown>>, path: KeyPath): unknown[] {
  const out: unknown[] = [];
  collect(payload, path.steps, 0, out);
  return out;
}

/** One spelling per key (`"a".b` and `a.b` are the same key), for keying payload indexes. */
export function canonicalKey(path: KeyPath): string {
  return path.steps
    .map((step, i) => {
      if (step === WILDCARD) return '[]';
      if (typeof step === 'number') return `[${step}]`;
      const raw = RAW.exec(step)?.[0] === step ? step : `"${step}"`;
      return i === 0 ? raw : `.${raw}`;
    })
    .join('');
}
