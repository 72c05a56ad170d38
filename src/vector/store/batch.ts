import { isStrataError, StrataError } from '../../kernel/index.js';
import type { Collection } from '../collection/collection.js';
import { planFilter, type FilterPlan } from './filtering.js';
import { search, searchRequest, type Searched, type SearchRequest } from './queries.js';
import { body } from './requests.js';

/** One search of a batch, parsed: the request and its filter as sent. */
interface BatchedSearch {
  readonly request: SearchRequest;
  readonly filter: unknown;
}

/**
 * Qdrant's search/batch and query/batch bodies (`{searches: [...]}`), each search parsed as a
 * single one would be; a bad one is named by its place in the batch. `vectorOf` takes the query
 * vector out of a search (`vector` for search, `query` for query).
 */
export function batchedSearches(
  request: unknown,
  dimension: number,
  maxSearches: number,
  vectorOf: (search: Record<string, unknown>) => unknown,
): BatchedSearch[] {
  const searches = body(request)['searches'];
  if (!Array.isArray(searches) || searches.length === 0)
    throw new StrataError('INVALID_ARGUMENT', 'searches must be a non-empty array of search requests');
  if (searches.length > maxSearches) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `searches holds ${String(searches.length)} requests; a batch may hold at most ${String(maxSearches)} (vector.maxBatchSearches): split it`,
      { details: { limit: maxSearches, got: searches.length } },
    );
  }
  return searches.map((raw: unknown, i) =>
    inBatch(i, () => {
      const json = body(raw);
      return { request: searchRequest(json, dimension, vectorOf(json)), filter: json['filter'] };
    }),
  );
}

/** Runs `parse` for the search at `i`, naming it in the message of the bad input it refuses. */
function inBatch<T>(i: number, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!isStrataError(error) || error.code !== 'INVALID_ARGUMENT') throw error;
    throw new StrataError('INVALID_ARGUMENT', `searches[${String(i)}]: ${error.message}`, {
      cause: error,
      ...(error.details === undefined ? {} : { details: error.details }),
    });
  }
}

/**
 * Runs a batch over one collection with the work its searches share done once (decision 0015):
 * each distinct filter is parsed and planned once, its matching points are found once, and its
 * searches run one after another so that the index writes its allow mask once (an index keeps the
 * mask of the id list it was last given). Results come back in request order, each equal to what
 * the same search alone returns.
 */
export function searchBatch(collection: Collection, searches: readonly BatchedSearch[]): Searched[] {
  const groups = new Map<string, { plan: FilterPlan; members: number[] }>();
  searches.forEach(({ filter }, i) => {
    // Filters are grouped by their JSON text: the same filter written with its keys in another
    // order is planned twice, which costs time, never correctness.
    const key = filter === undefined || filter === null ? '' : JSON.stringify(filter);
    let group = groups.get(key);
    if (group === undefined) {
      group = { plan: inBatch(i, () => planFilter(collection, filter)), members: [] };
      groups.set(key, group);
    }
    group.members.push(i);
  });
  const results = new Array<Searched>(searches.length);
  for (const { plan, members } of groups.values()) {
    for (const i of members) {
      const one = searches[i];
      if (one !== undefined) results[i] = search(collection, one.request, plan);
    }
  }
  return results;
}
