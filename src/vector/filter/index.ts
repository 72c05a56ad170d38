// The filter language, payload indexes and the filtered-search planner (ARCHITECTURE.md §4).
// The rest of src/vector imports from here; src/vector/index.ts re-exports what leaves the context.
export type { Condition, Filter, KeyPath, Match, Payload, PointId, Range } from './types.js';
export { parseFilter } from './parse.js';
export { checkDepth, MAX_JSON_DEPTH } from './depth.js';
export { matchesFilter } from './match.js';
export { parseKeyPath, valuesAt } from './key-path.js';
export { normalizePointId } from './point-id.js';
export { PayloadIndexes, type PayloadFieldSchema } from './payload-indexes.js';
export { payloadSchemaTypes, type PayloadSchemaType } from './field-index.js';
export { indexedCandidates, type Candidates } from './candidates.js';
export {
  DEFAULT_FULL_SCAN_THRESHOLD,
  estimateMatches,
  filteredEf,
  filteredSearch,
  matchingPoints,
  searchMatching,
  type FilterSource,
  type MatchingPoints,
  type FilteredSearchOptions,
  type FilteredSearchPlan,
  type FilteredSearchResult,
} from './planner.js';
