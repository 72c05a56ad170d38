// The filter language's syntax tree: what parse.ts builds from Qdrant's JSON and match.ts,
// candidates.ts and the planner read. Field names follow Qdrant's where they are the same idea.

/** A point's id as the client sees it: an unsigned integer or a UUID in canonical form. */
export type PointId = number | string;

/** A point's JSON payload. */
export type Payload = Record<string, unknown>;

/** `[]` in a key: every element of an array. */
export const WILDCARD: unique symbol = Symbol('wildcard');

/** One step of a key: an object key, an array index (`[3]`), or every element (`[]`). */
export type PathStep = string | number | typeof WILDCARD;

/** A parsed key such as `country.cities[].name`; `text` is the key as the client wrote it. */
export interface KeyPath {
  readonly text: string;
  readonly steps: readonly PathStep[];
}

/**
 * The value lists of `any` and `except` are all strings or all integers, as in Qdrant
 * (AnyVariants); an empty list counts as keywords, which gives the same answers either way.
 */
export type ValueList =
  | { readonly type: 'keyword'; readonly values: ReadonlySet<string> }
  | { readonly type: 'integer'; readonly values: ReadonlySet<number> };

export type Match =
  | { readonly kind: 'value'; readonly value: string | number | boolean }
  | ({ readonly kind: 'any' } & ValueList)
  | ({ readonly kind: 'except' } & ValueList)
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'text_any'; readonly words: readonly string[] };

export interface Range {
  readonly gt?: number;
  readonly gte?: number;
  readonly lt?: number;
  readonly lte?: number;
}

export type Condition =
  | { readonly kind: 'match'; readonly key: KeyPath; readonly match: Match }
  | { readonly kind: 'range'; readonly key: KeyPath; readonly range: Range }
  | { readonly kind: 'is_empty'; readonly key: KeyPath }
  | { readonly kind: 'is_null'; readonly key: KeyPath }
  | { readonly kind: 'has_id'; readonly ids: ReadonlySet<PointId> }
  | { readonly kind: 'nested'; readonly key: KeyPath; readonly filter: Filter }
  | { readonly kind: 'filter'; readonly filter: Filter };

export interface MinShould {
  readonly conditions: readonly Condition[];
  readonly minCount: number;
}

/**
 * A clause left out is not the same as an empty one: `should: []` matches nothing (Qdrant keeps
 * this on purpose, qdrant/qdrant#554), while no `should` at all matches everything.
 */
export interface Filter {
  readonly must?: readonly Condition[];
  readonly should?: readonly Condition[];
  readonly mustNot?: readonly Condition[];
  readonly minShould?: MinShould;
}
