// The behaviour every VectorIndex shares (STYLE.md §4), run by vector-index.test.ts against each
// index on each backend. Recall of approximate indexes is checked separately, against FlatIndex.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../kernel/index.js';
import type { Metric, VectorIndex } from './types.js';

export type IndexFactory = (dimension: number, metric: Metric) => VectorIndex;

export function vectorIndexConformance(name: string, create: IndexFactory): void {
  describe(`VectorIndex conformance: ${name}`, () => {
    it('finds an inserted vector as its own nearest neighbour, at distance 0', () => {
      const index = create(4, 'euclidean');
      for (let id = 0; id < 50; id++) index.upsert(id, [id, id % 7, id % 3, 1]);
      assert.equal(index.size, 50);
      const [hit] = index.search([17, 17 % 7, 17 % 3, 1], 1);
      assert.deepEqual(hit, { id: 17, distance: 0 });
    });

    it('returns at most k hits, nearest first, and no more than it holds', () => {
      const index = create(2, 'manhattan');
      for (let id = 0; id < 5; id++) index.upsert(id, [id, 0]);
      const hits = index.search([0, 0], 10);
      assert.deepEqual(
        hits.map((h) => h.id),
        [0, 1, 2, 3, 4],
      );
      assert.deepEqual(
        hits.map((h) => h.distance),
        [0, 1, 2, 3, 4],
      );
      assert.deepEqual(index.search([0, 0], 0), []);
    });

    it('answers an empty index with no hits', () => {
      assert.deepEqual(create(3, 'cosine').search([1, 0, 0], 5), []);
    });

    it('forgets a deleted id and reports whether it was there', () => {
      const index = create(2, 'euclidean');
      index.upsert(1, [0, 0]);
      index.upsert(2, [1, 1]);
      assert.equal(index.delete(1), true);
      assert.equal(index.delete(1), false);
      assert.equal(index.has(1), false);
      assert.equal(index.size, 1);
      assert.deepEqual(
        index.search([0, 0], 2).map((h) => h.id),
        [2],
      );
      index.compact();
      assert.deepEqual(
        index.search([0, 0], 2).map((h) => h.id),
        [2],
      );
    });

    it('ranks by cosine on direction alone and by dot on magnitude too', () => {
      const cosine = create(2, 'cosine');
      const dot = create(2, 'dot');
      for (const index of [cosine, dot]) {
        index.upsert(1, [1, 0]);
        index.upsert(2, [10, 10]);
      }
      assert.equal(cosine.search([1, 0.1], 1)[0]?.id, 1);
      assert.equal(dot.search([1, 0.1], 1)[0]?.id, 2);
    });

    it('rejects bad vectors with INVALID_ARGUMENT and stays intact', () => {
      const index = create(3, 'euclidean');
      index.upsert(1, [1, 2, 3]);
      const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';
      assert.throws(() => {
        index.upsert(2, [1, 2]);
      }, invalid);
      assert.throws(() => {
        index.upsert(2, [1, Number.NaN, 3]);
      }, invalid);
      assert.throws(() => index.search([1, 2, Infinity], 1), invalid);
      assert.equal(index.size, 1);
      assert.deepEqual(
        index.search([1, 2, 3], 1).map((h) => h.id),
        [1],
      );
    });
  });
}
