import { StrataError } from '../../kernel/index.js';

/**
 * How deep a payload or a filter may nest. JSON.stringify (the write-ahead log) and the filter
 * parser recurse, so a payload nested some thousands of levels deep would overflow the stack; Qdrant
 * refuses bodies nested deeper than serde_json's limit of 128 levels. Payloads and filters get 64.
 */
export const MAX_JSON_DEPTH = 64;

/** Throws INVALID_ARGUMENT naming `path` when `value` nests deeper than MAX_JSON_DEPTH; iterative. */
export function checkDepth(value: unknown, path: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [node, depth] = item;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_JSON_DEPTH) {
      throw new StrataError('INVALID_ARGUMENT', `${path} is nested deeper than ${MAX_JSON_DEPTH} levels`, {
        details: { path, maxDepth: MAX_JSON_DEPTH },
      });
    }
    for (const child of Object.values(node)) if (typeof child === 'object') stack.push([child, depth + 1]);
  }
}
