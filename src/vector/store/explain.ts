import type { Collection } from '../collection/collection.js';
import type { FilteredSearchPlan } from '../filter/index.js';
import type { Backend, SearchTrace } from '../types.js';

/**
 * What one search did, returned beside its points when the request has `params.explain: true`
 * (Strata's extension of Qdrant's search and query; docs/decisions/0015).
 */
export interface SearchExplain {
  /** The collection's index, and the vectors its graph holds: float32, or a quantizer's codes. */
  readonly index: 'hnsw';
  readonly vectors: 'float32' | 'int8' | 'binary';
  readonly backend: Backend;
  /** Dimensions the graph's vectors are reduced to by PCA (candidates are then rescored); null for none. */
  readonly reduced_to: number | null;
  /** `graph`: an HNSW walk; `exact_scan`: every allowed point scored; `none`: nothing to search. */
  readonly search: 'graph' | 'exact_scan' | 'none';
  /** The walk's beam width (after the planner widened it for a filter's selectivity). */
  readonly ef: number | null;
  /** The filter's plan; null without a filter. */
  readonly filter: FilterExplain | null;
  /** Distances computed by the walk or the scan, counted in the engine. */
  readonly scored: number;
  /** What those distances were computed over (float32 before a quantizer is trained, or for exact). */
  readonly scored_vectors: 'float32' | 'int8' | 'binary';
  /** Candidates re-ranked by their full-precision vectors; null when nothing was rescored. */
  readonly rescore: { readonly candidates: number; readonly oversampling: number | null } | null;
}

export interface FilterExplain {
  readonly path: FilteredSearchPlan['path'];
  /** Points the filter matches (counted, not estimated: the allow mask needs them anyway). */
  readonly matching: number;
  /** At most this many matching points are scanned exactly (the collection's, or the limit if larger). */
  readonly full_scan_threshold: number;
  /** Whether the payload indexes alone produced the matching set, without reading payloads. */
  readonly payload_index: boolean;
  readonly reason: string;
}

export function explainSearch(
  collection: Collection,
  exact: boolean,
  trace: SearchTrace,
  plan: FilteredSearchPlan | undefined,
): SearchExplain {
  const { vectors, backend, reducedTo } = collection.indexInfo;
  return {
    index: 'hnsw',
    vectors,
    backend,
    reduced_to: reducedTo ?? null,
    search: trace.mode === 'graph' ? 'graph' : trace.mode === 'scan' ? 'exact_scan' : 'none',
    ef: trace.ef ?? null,
    filter: plan === undefined ? null : explainFilter(collection, exact, plan),
    scored: trace.scored,
    scored_vectors: trace.vectors,
    rescore:
      trace.rescored === 0 ? null : { candidates: trace.rescored, oversampling: trace.oversampling ?? null },
  };
}

function explainFilter(collection: Collection, exact: boolean, plan: FilteredSearchPlan): FilterExplain {
  const { matches, threshold } = plan;
  return {
    path: plan.path,
    matching: matches,
    full_scan_threshold: threshold,
    payload_index: plan.indexed,
    reason: reason(collection, exact, plan),
  };
}

function reason(collection: Collection, exact: boolean, plan: FilteredSearchPlan): string {
  const { matches, threshold } = plan;
  switch (plan.path) {
    case 'no-match':
      return matches === 0 ? 'no point matches the filter' : 'the limit is 0: nothing to search';
    case 'exact-scan':
      return exact
        ? 'params.exact is true: every matching point is scored'
        : `${String(matches)} matching points, at most the full scan threshold ${String(threshold)}: scoring them all is exact and cheaper than a filtered graph walk`;
    case 'filtered-graph': {
      const percent = (100 * matches) / Math.max(collection.pointCount, 1);
      return `${String(matches)} matching points, over the full scan threshold ${String(threshold)}: a graph walk that returns only matching points, ef widened to ${String(plan.ef ?? 0)} for a selectivity of ${percent.toFixed(1)}%`;
    }
  }
}
