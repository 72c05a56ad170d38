import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FlatIndex } from '../flat-index.js';
import { mulberry32 } from '../random.js';
import { clustered, recall } from '../test-data.js';
import type { Metric } from '../types.js';
import { IvfPqIndex, type IvfPqIndexOptions } from './ivf-pq-index.js';
import { ProductQuantizer, defaultSubquantizers } from './product-quantizer.js';

const dim = 32;
const base = clustered(11, 3000, dim);
const queries = clustered(11, 100, dim, 12);
const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';

function build(metric: Metric, options: Partial<IvfPqIndexOptions> = {}): IvfPqIndex {
  const index = new IvfPqIndex({ dimension: dim, metric, nlist: 32, seed: 5, ...options });
  base.forEach((v, id) => {
    index.upsert(id, v);
  });
  return index;
}

function truth(metric: Metric) {
  const flat = new FlatIndex({ dimension: dim, metric });
  base.forEach((v, id) => {
    flat.upsert(id, v);
  });
  return queries.map((q) => flat.search(q, 10));
}

describe('IvfPqIndex', () => {
  for (const metric of ['euclidean', 'cosine'] as const) {
    it(`reaches recall@10 >= 0.85 from PQ codes alone and >= 0.99 with rescoring at nprobe 8 (${metric})`, () => {
      const exact = truth(metric);
      const codesOnly = build(metric, { rescore: false });
      const rescored = build(metric);
      const at = (index: IvfPqIndex, nprobe: number): number =>
        recall(
          queries.map((q) => index.search(q, 10, { nprobe })),
          exact,
        );
      const plain = [1, 8].map((nprobe) => at(codesOnly, nprobe));
      const better = [1, 8, 32].map((nprobe) => at(rescored, nprobe));
      assert.ok((plain[0] ?? 0) <= (plain[1] ?? 0), `codes only: ${plain.join(' → ')}`);
      assert.ok((plain[1] ?? 0) >= 0.85, `codes only: ${plain.join(' → ')}`);
      assert.ok((better[1] ?? 0) >= 0.99, `rescored: ${better.join(' → ')}`);
      assert.equal(better[2], 1);
      // Rescored distances are exact (up to the oracle's f32 arithmetic).
      const [top] = rescored.search(queries[0] ?? [], 1);
      const [want] = exact[0] ?? [];
      assert.equal(top?.id, want?.id);
      assert.ok(
        Math.abs((top?.distance ?? 0) - (want?.distance ?? 1)) < 1e-5,
        `${top?.distance} vs ${want?.distance}`,
      );
    });
  }

  it('holds m code bytes and an id per vector without rescoring', () => {
    const index = build('euclidean', { rescore: false, m: 8, precomputeTables: false });
    assert.equal(index.listBytesPerVector, 8 + 8);
    index.compact();
    const perVector = index.memoryBytes() / index.size;
    // Lists (16 B) + id map (~40 B) + the shared centroids and codebooks spread over 3000 points,
    // among them the 64 KiB page of each engine table (coarse centroids, codebooks; NearestRows).
    assert.ok(perVector < 8 + 8 + 40 + 20 + (2 * 65536) / index.size, `${perVector} bytes per vector`);
    const withFull = build('euclidean', { m: 8, precomputeTables: false });
    withFull.compact();
    assert.ok(withFull.memoryBytes() / withFull.size > perVector + 4 * dim, 'full vectors are counted');
  });

  it('ranks the same with precomputed L2 tables as with tables filled per list', () => {
    const tables = build('euclidean', { rescore: false });
    const plain = build('euclidean', { rescore: false, precomputeTables: false });
    // nlist · m · ksub floats: 32 · 16 · 256 · 4 bytes.
    assert.equal(tables.memoryBytes() - plain.memoryBytes(), 32 * 16 * 256 * 4);
    for (const q of queries.slice(0, 20)) {
      const a = tables.search(q, 10, { nprobe: 4 });
      const b = plain.search(q, 10, { nprobe: 4 });
      assert.deepEqual(
        a.map((h) => h.id),
        b.map((h) => h.id),
      );
      a.forEach((h, i) => {
        assert.ok(Math.abs(h.distance - (b[i]?.distance ?? 0)) < 1e-3);
      });
    }
  });

  it('returns only allowed, live ids, and replaces re-upserted vectors', () => {
    const index = build('euclidean');
    for (let id = 0; id < base.length; id += 3) index.delete(id);
    assert.equal(index.size, 2000);
    for (const q of queries.slice(0, 20)) {
      const hits = index.search(q, 10, { nprobe: 2, filter: (id) => id % 7 === 0 });
      assert.equal(hits.length, 10);
      assert.ok(hits.every((h) => h.id % 7 === 0 && h.id % 3 !== 0));
    }
    index.upsert(1, base[0] ?? []);
    assert.deepEqual(index.search(base[0] ?? [], 1), [{ id: 1, distance: 0 }]);
  });

  it('scores codes by ADC tables equal to the distance to their reconstruction', () => {
    const random = mulberry32(3);
    const d = 8;
    const data = Float32Array.from({ length: 600 * d }, () => random() * 2 - 1);
    const pq = ProductQuantizer.train(data, d, 4, { seed: 1, iterations: 10 });
    assert.equal(pq.ksub, 256);
    const code = new Uint8Array(4);
    const query = Float32Array.from({ length: d }, () => random());
    const table = new Float32Array(4 * 256);
    for (const kind of ['l2', 'l1', 'ip'] as const) {
      pq.fillTable(kind, query, table);
      for (let i = 0; i < 20; i++) {
        pq.encode(data, i * d, code, 0);
        const back = pq.decode(code, 0);
        let want = 0;
        for (let j = 0; j < d; j++) {
          const x = query[j] ?? 0;
          const y = back[j] ?? 0;
          want += kind === 'l2' ? (x - y) ** 2 : kind === 'l1' ? Math.abs(x - y) : -x * y;
        }
        let got = 0;
        for (let s = 0; s < 4; s++) got += table[s * 256 + (code[s] ?? 0)] ?? 0;
        assert.ok(Math.abs(got - want) < 1e-5, `${kind}: ${got} vs ${want}`);
      }
    }
  });

  it('rejects an m that does not divide the dimension, with INVALID_ARGUMENT', () => {
    assert.equal(defaultSubquantizers(32), 16);
    assert.equal(defaultSubquantizers(3), 1);
    assert.equal(defaultSubquantizers(30), 15);
    assert.throws(() => new IvfPqIndex({ dimension: 30, metric: 'dot', m: 8 }), invalid);
    assert.throws(() => new IvfPqIndex({ dimension: 30, metric: 'dot', oversampling: 0.5 }), invalid);
  });
});
