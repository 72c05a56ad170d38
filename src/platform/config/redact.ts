import { configSchema, type StrataConfig } from './schema.js';
import { configLeaves, type JsonSchema } from './schema-walk.js';

const secretKeys = configLeaves(configSchema as unknown as JsonSchema)
  .filter((leaf) => leaf.schema['x-secret'] === true)
  .map((leaf) => leaf.path);

/**
 * A copy of the configuration that is safe to print or log: secret values are masked. A secret
 * URL keeps its scheme, host and path and loses only its password, so that an operator can still
 * see where Strata connects.
 */
export function redactConfig(config: StrataConfig): unknown {
  const copy = structuredClone(config) as unknown as Record<string, unknown>;
  for (const path of secretKeys) {
    let node: Record<string, unknown> | undefined = copy;
    for (const segment of path.slice(0, -1)) node = node?.[segment] as Record<string, unknown> | undefined;
    const last = path[path.length - 1];
    if (node === undefined || last === undefined || typeof node[last] !== 'string') continue;
    node[last] = redactValue(node[last]);
  }
  return copy;
}

function redactValue(value: string): string {
  try {
    const url = new URL(value);
    if (url.password === '') return value;
    url.password = '***';
    return url.toString();
  } catch {
    return '[redacted]';
  }
}
