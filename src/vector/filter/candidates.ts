// Which points a filter can select, from the payload indexes alone: a set (or "all points" when
// nothing indexed restricts it) and whether that set is exactly the answer or a superset that
// still needs the payloads checked. Qdrant's query planner does the same with its cardinality
// estimation (lib/segment/src/index/query_estimator.rs); here sets are exact, not estimates.
import type { PayloadIndexes } from './payload-indexes.js';
import type { Condition, Filter, PointId } from './types.js';

export interface Candidates {
  /** Undefined: no restriction known, every point is a candidate. */
  readonly ids: ReadonlySet<number> | undefined;
  /** The candidates are exactly the matching points. */
  readonly exact: boolean;
}

const ALL: Candidates = { ids: undefined, exact: false };

function intersect(a: ReadonlySet<number>, b: ReadonlySet<number>): ReadonlySet<number> {
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  const out = new Set<number>();
  for (const id of small) if (large.has(id)) out.add(id);
  return out;
}

/** `internalOf` maps has_id's point ids to the internal ids the indexes hold. */
export function indexedCandidates(
  filter: Filter,
  indexes: PayloadIndexes,
  internalOf: (id: PointId) => number | undefined,
): Candidates {
  const condition = (c: Condition): Candidates => {
    if (c.kind === 'filter') return indexedCandidates(c.filter, indexes, internalOf);
    if (c.kind === 'has_id') {
      const ids = new Set<number>();
      for (const id of c.ids) {
        const internal = internalOf(id);
        if (internal !== undefined) ids.add(internal);
      }
      return { ids, exact: true };
    }
    const ids = indexes.lookup(c);
    return ids === undefined ? ALL : { ids, exact: true };
  };
  let ids: ReadonlySet<number> | undefined;
  // Exact only while every clause is answered exactly by the indexes; must_not and min_should
  // are left to the payload check (a complement set would cost as much as the check).
  let exact = filter.mustNot === undefined && filter.minShould === undefined;
  const narrow = (c: Candidates): void => {
    exact &&= c.exact;
    if (c.ids !== undefined) ids = ids === undefined ? c.ids : intersect(ids, c.ids);
  };
  for (const c of filter.must ?? []) narrow(condition(c));
  if (filter.should !== undefined) {
    const parts = filter.should.map(condition);
    if (parts.every((p) => p.ids !== undefined)) {
      const union = new Set<number>();
      for (const p of parts) for (const id of p.ids ?? []) union.add(id);
      narrow({ ids: union, exact: parts.every((p) => p.exact) });
    } else {
      exact = false;
    }
  }
  return { ids, exact: exact && ids !== undefined };
}
