import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FlatIndex } from '../flat-index.js';
import { mulberry32 } from '../random.js';
import { clustered, recall } from '../test-data.js';
import { metrics, type Metric, type SearchOptions } from '../types.js';
import { KERNEL_IP, KERNEL_L1, KERNEL_L2 } from '../engine/engine.js';
import { AdcScanner } from './adc-scanner.js';
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
    // among them the 64 KiB page of each engine: coarse centroids and codebooks (NearestRows), and
    // the ADC scanner's codebooks and tables.
    assert.ok(perVector < 8 + 8 + 40 + 20 + (3 * 65536) / index.size, `${perVector} bytes per vector`);
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

  // The scans run in the engine (wasm/pq.as); its TypeScript replay (js-pq.ts) adds in the same
  // f32 order, so ids and distances must be equal, not merely close.
  it('returns the same ids and distances on the WebAssembly and TypeScript backends', () => {
    const configs: [Metric, Partial<IvfPqIndexOptions>][] = [
      ...metrics.map((metric): [Metric, Partial<IvfPqIndexOptions>] => [metric, { rescore: false }]),
      ['euclidean', { rescore: false, precomputeTables: false }],
      ['dot', { oversampling: 2 }],
    ];
    const searches: SearchOptions[] = [
      { nprobe: 1 },
      { nprobe: 4, filter: (id) => id % 5 === 0 },
      { nprobe: 2, filter: { ids: [3, 10, 17, 400, 1200, 2999] } },
      { exact: true },
    ];
    for (const [metric, options] of configs) {
      const variant = (backend: 'wasm-simd' | 'js'): IvfPqIndex => {
        const index = build(metric, { ...options, backend, nlist: 16 });
        for (let id = 0; id < base.length; id += 4) index.delete(id);
        return index;
      };
      const wasm = variant('wasm-simd');
      const js = variant('js');
      assert.equal(wasm.backend, 'wasm-simd');
      assert.equal(js.backend, 'js');
      for (const q of queries.slice(0, 10)) {
        for (const search of searches) {
          const hits = wasm.search(q, 10, search);
          assert.equal(hits.length, search.filter !== undefined && 'ids' in search.filter ? 4 : 10);
          assert.ok(hits.every(({ id }) => id % 4 !== 0));
          assert.deepEqual(hits, js.search(q, 10, search), `${metric} ${JSON.stringify(options)}`);
        }
      }
    }
  });

  it('scores codes by ADC tables equal to the distance to their reconstruction', () => {
    const random = mulberry32(3);
    const d = 8;
    const data = Float32Array.from({ length: 600 * d }, () => random() * 2 - 1);
    const pq = ProductQuantizer.train(data, d, 4, { seed: 1, iterations: 10 });
    assert.equal(pq.ksub, 256);
    const rows = 20;
    const codes = new Uint8Array(rows * 4);
    for (let i = 0; i < rows; i++) pq.encode(data, i * d, codes, i * 4);
    const query = Float32Array.from({ length: d }, () => random());
    for (const [kind, kernel] of [
      ['l2', KERNEL_L2],
      ['l1', KERNEL_L1],
      ['ip', KERNEL_IP],
    ] as const) {
      // Without list terms an L2 or L1 table is filled from the target passed to scan; the −q·r
      // table of inner products, once per query by setQuery.
      const scanner = new AdcScanner(pq, kernel, undefined, 'auto');
      scanner.setQuery(query);
      const got = scanner.scan(codes, rows, 0, 0, query);
      for (let i = 0; i < rows; i++) {
        const back = pq.decode(codes, i * 4);
        let want = 0;
        for (let j = 0; j < d; j++) {
          const x = query[j] ?? 0;
          const y = back[j] ?? 0;
          want += kind === 'l2' ? (x - y) ** 2 : kind === 'l1' ? Math.abs(x - y) : -x * y;
        }
        assert.ok(Math.abs((got[i] ?? 0) - want) < 1e-5, `${kind}: ${got[i]} vs ${want}`);
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
