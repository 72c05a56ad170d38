// PCA as a collection's dimension reduction (issue 7; decision 0017): fitted on a sample of the
// collection's vectors and logged, model and all, as one `set_pca` operation, so that replay,
// restart and snapshots rebuild the same reduced index without fitting again. Strata's own
// procedure; Qdrant has no equivalent.
import { StrataError } from '../../kernel/index.js';
import { fitPca, pcaToJson } from '../algorithms/pca.js';
import type { Collection } from '../collection/collection.js';
import type { Operation } from '../collection/operations.js';
import { mulberry32 } from '../random.js';
import { integerField, type Json } from './requests.js';

/** Fitting is O(sample · d² + d³): the default sample keeps one call to about a second at d = 256. */
const DEFAULT_SAMPLE = 20_000;
const MAX_OVERSAMPLING = 64;

/**
 * The operation that makes `collection` search through PCA: `{components, sample?, oversampling?,
 * seed?}`. The graph then links vectors of `components` dimensions, and each search rescores
 * `k · oversampling` candidates (default 4) with the full vectors, which the collection keeps.
 */
export function pcaOperation(collection: Collection, json: Json): Operation {
  const { params } = collection;
  if (params.quantization !== undefined) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `collection ${collection.name} has a quantization_config; a PCA reduction applies to float32 collections — create one without quantization_config to reduce it`,
    );
  }
  const d = params.dimension;
  if (d < 2) {
    throw new StrataError('INVALID_ARGUMENT', `a ${d}-dimensional collection cannot be reduced`);
  }
  const components = integerField(json, 'components', 1, d - 1);
  const oversampling = integerField(json, 'oversampling', 1, MAX_OVERSAMPLING, 4);
  const seed = integerField(json, 'seed', 0, 0xffffffff, 1);
  const ids = collection.sortedIds();
  if (ids.length < 2) {
    throw new StrataError(
      'INVALID_ARGUMENT',
      `collection ${collection.name} holds ${ids.length} point(s); PCA is fitted on its vectors and needs at least 2 — upsert points first`,
    );
  }
  const sample = integerField(
    json,
    'sample',
    2,
    Number.MAX_SAFE_INTEGER,
    Math.min(ids.length, DEFAULT_SAMPLE),
  );
  // A seeded sample of the points in scroll order (a partial Fisher–Yates shuffle): the same
  // points give the same model, whatever order they were written in.
  const picked = ids.slice();
  const n = Math.min(sample, picked.length);
  const random = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (picked.length - i));
    [picked[i], picked[j]] = [picked[j] ?? '', picked[i] ?? ''];
  }
  const data = new Float32Array(n * d);
  for (let i = 0; i < n; i++) data.set(collection.vector(picked[i] ?? '') ?? [], i * d);
  const model = fitPca(data, d, { components, seed });
  return { op: 'set_pca', pca: { model: pcaToJson(model), oversampling } };
}
