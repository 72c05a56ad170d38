/**
 * Reads the configuration's JSON Schema as a list of settable leaves. The environment names, the
 * string coercion of env and flag values, redaction and docs/config.md all come from this one walk,
 * so they cannot drift from the schema.
 */
export interface JsonSchema {
  readonly type?: string;
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly items?: JsonSchema;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly description?: string;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly 'x-secret'?: boolean;
}

export interface ConfigLeaf {
  /** Key path segments, e.g. ['server', 'httpPort']. */
  readonly path: readonly string[];
  /** Dotted key, e.g. `server.httpPort`: how errors, --set and docs name it. */
  readonly key: string;
  /** Environment variable, e.g. `STRATA_SERVER_HTTP_PORT`. */
  readonly env: string;
  readonly schema: JsonSchema;
}

const toSnake = (segment: string): string => segment.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();

export function envName(path: readonly string[]): string {
  return ['STRATA', ...path.map(toSnake)].join('_');
}

export function configLeaves(schema: JsonSchema, prefix: readonly string[] = []): ConfigLeaf[] {
  if (schema.type === 'object' && schema.properties !== undefined) {
    return Object.entries(schema.properties).flatMap(([name, child]) =>
      configLeaves(child, [...prefix, name]),
    );
  }
  return [{ path: prefix, key: prefix.join('.'), env: envName(prefix), schema }];
}

/** The type as docs and error messages show it: `integer`, `string[]`, `"a" | "b"`. */
export function describeType(schema: JsonSchema): string {
  if (schema.enum !== undefined) return schema.enum.map((value) => JSON.stringify(value)).join(' | ');
  if (schema.type === 'array' && schema.items !== undefined) {
    const item = describeType(schema.items);
    return item.includes('|') ? `(${item})[]` : `${item}[]`;
  }
  return schema.type ?? 'any';
}
