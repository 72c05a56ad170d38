// Parallel bulk builds through HnswIndex.upsertMany and QuantizedHnswIndex.upsertMany: the graph
// depends on the batches only (the same on 1, 2 and 3 threads), its recall is the serial build's,
// and a pool that is closed or whose workers fail leaves a correct, serially built graph.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { isStrataError, type StrataError } from '../../kernel/index.js';
import { FlatIndex } from '../flat-index.js';
import { BUILD_BATCH, HnswIndex } from '../hnsw-index.js';
import { QuantizedHnswIndex } from '../quantization/quantized-index.js';
import { clustered, recall } from '../test-data.js';
import type { Metric, SearchHit } from '../types.js';
import { BuildPool } from './build-pool.js';

const dim = 24;
const base = clustered(21, 6000, dim);
const ids = base.map((_, id) => id);
const queries = clustered(21, 200, dim, 22);
const pools: BuildPool[] = [];

function pool(threads: number, options: Partial<ConstructorParameters<typeof BuildPool>[0]> = {}): BuildPool {
  const created = new BuildPool({ threads, ...options });
  pools.push(created);
  return created;
}

after(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

function built(metric: Metric, buildPool?: BuildPool): HnswIndex {
  const index = new HnswIndex({
    dimension: dim,
    metric,
    m: 12,
    efConstruction: 100,
    ...(buildPool === undefined ? {} : { buildPool }),
  });
  index.upsertMany(ids, base);
  return index;
}

// A low beam, so that any difference in the links shows in the results.
const probe = (index: HnswIndex): SearchHit[][] => queries.map((q) => index.search(q, 10, { ef: 12 }));

function exactTopK(metric: Metric): SearchHit[][] {
  const oracle = new FlatIndex({ dimension: dim, metric });
  base.forEach((v, id) => {
    oracle.upsert(id, v);
  });
  return queries.map((q) => oracle.search(q, 10));
}

describe('parallel bulk build', () => {
  it('builds the same graph on 1, 2 and 3 threads', () => {
    const graphs = [1, 2, 3].map((threads) => probe(built('euclidean', pool(threads))));
    assert.deepEqual(graphs[1], graphs[0]);
    assert.deepEqual(graphs[2], graphs[0]);
  });

  for (const metric of ['euclidean', 'cosine', 'dot'] as const) {
    it(`keeps the serial build's recall@10 against brute force (${metric})`, () => {
      const exact = exactTopK(metric);
      const serialIndex = built(metric);
      const serial = recall(
        queries.map((q) => serialIndex.search(q, 10, { ef: 32 })),
        exact,
      );
      const parallelIndex = built(metric, pool(2));
      const parallel = recall(
        queries.map((q) => parallelIndex.search(q, 10, { ef: 32 })),
        exact,
      );
      assert.equal(parallelIndex.size, base.length);
      assert.ok(
        parallel >= serial - 0.01,
        `parallel recall ${String(parallel)} < serial ${String(serial)} - 0.01`,
      );
    });
  }

  it('continues a serially built graph, replaces points and keeps later inserts consistent', () => {
    const index = new HnswIndex({
      dimension: dim,
      metric: 'euclidean',
      m: 12,
      efConstruction: 100,
      buildPool: pool(2),
    });
    // Fewer than a batch: serial; then a bulk load that also replaces some of those points.
    index.upsertMany(ids.slice(0, 100), base.slice(100, 200));
    index.upsertMany(ids, base);
    index.upsert(ids.length, base[0] ?? []);
    assert.equal(index.size, base.length + 1);
    const exact = exactTopK('euclidean');
    const found = queries.map((q) => index.search(q, 10, { ef: 64 }).filter((hit) => hit.id !== ids.length));
    assert.ok(recall(found, exact) >= 0.95);
  });

  it('rebuilds in parallel on compaction, the same on 1 and 3 threads, with the recall kept', () => {
    const compacted = [1, 3].map((threads) => {
      const index = built('euclidean', pool(threads));
      // Past the default threshold (half the nodes deleted), the delete compacts.
      for (const id of ids) if (id % 5 < 3) index.delete(id);
      return index;
    });
    const [one, three] = compacted;
    assert.ok(one !== undefined && three !== undefined);
    assert.equal(one.size, base.length - (base.length / 5) * 3);
    assert.ok(one.memoryBytes() < built('euclidean').memoryBytes());
    assert.deepEqual(probe(three), probe(one));
    const oracle = new FlatIndex({ dimension: dim, metric: 'euclidean' });
    base.forEach((v, id) => {
      if (id % 5 >= 3) oracle.upsert(id, v);
    });
    const exact = queries.map((q) => oracle.search(q, 10));
    assert.ok(
      recall(
        queries.map((q) => one.search(q, 10, { ef: 64 })),
        exact,
      ) >= 0.95,
    );
  });

  it('falls back to the serial graph when the pool is closed', async () => {
    const closed = pool(2);
    await closed.close();
    assert.equal(closed.parallel, false);
    assert.deepEqual(probe(built('euclidean', closed)), probe(built('euclidean')));
  });

  const workerScript = (...lines: string[]): URL =>
    new URL(
      `data:text/javascript,${encodeURIComponent(["import { parentPort } from 'node:worker_threads';", ...lines].join('\n'))}`,
    );

  it('does not wait for a worker that never answers: the other threads do its share', () => {
    const errors: StrataError[] = [];
    const silent = workerScript("parentPort.on('message', () => {});");
    const index = built(
      'euclidean',
      pool(2, { entry: silent, stallMs: 300, onError: (error) => errors.push(error) }),
    );
    assert.deepEqual(probe(index), probe(built('euclidean', pool(1))));
    assert.deepEqual(errors, []);
  });

  it('reports a worker that stalls in the middle of a search, and builds that batch serially', () => {
    const errors: StrataError[] = [];
    // Claims a point to search and never finishes it (a link part left half-done would fail the
    // write instead: decision 0016). It may miss the first batches while it starts.
    const stalls = workerScript(
      "parentPort.on('message', ({ control, job }) => { if (job.kind === 'search') Atomics.add(new Int32Array(control), 0, 1); });",
    );
    const stalled = pool(2, { entry: stalls, stallMs: 300, onError: (error) => errors.push(error) });
    const index = built('euclidean', stalled);
    assert.equal(errors.length, 1);
    const [error] = errors;
    assert.ok(isStrataError(error));
    assert.equal(error.code, 'INTERNAL');
    assert.match(error.message, /no progress.*vector\.buildThreads/);
    assert.equal(stalled.parallel, false);
    // Its first batch went in serially, the rest on the calling thread alone.
    const exact = exactTopK('euclidean');
    assert.ok(
      recall(
        queries.map((q) => index.search(q, 10, { ef: 64 })),
        exact,
      ) >= 0.95,
    );
  });

  it('reports a failing worker with its message; the calling thread builds the same graph', () => {
    const errors: StrataError[] = [];
    // Reports a failure through the control words, as build-worker.ts does for a thrown error.
    const failing = workerScript(
      'parentPort.on("message", ({ worker, control, job }) => {',
      '  const words = new Int32Array(control); const at = 4 * (2 + 2 * job.regions.length) + 512 * worker;',
      '  const text = new TextEncoder().encode("boom"); new Uint8Array(control, at, 4).set(text);',
      '  Atomics.store(words, 3 + 2 * worker, 4); Atomics.store(words, 2 + 2 * worker, 3); Atomics.notify(words, 2 + 2 * worker);',
      '});',
    );
    const index = built('euclidean', pool(3, { entry: failing, onError: (error) => errors.push(error) }));
    assert.deepEqual(probe(index), probe(built('euclidean', pool(1))));
    assert.equal(errors.length, 1);
    assert.match(errors[0]?.message ?? '', /a build worker failed: boom/);
  });

  it('builds a quantized graph in parallel once the quantizer is trained', () => {
    const exact = exactTopK('euclidean');
    const index = new QuantizedHnswIndex({
      dimension: dim,
      metric: 'euclidean',
      quantization: { kind: 'int8' },
      buildPool: pool(2),
    });
    index.upsertMany(ids.slice(0, 2000), base.slice(0, 2000));
    index.upsertMany(ids.slice(2000), base.slice(2000));
    assert.ok(index.trained);
    assert.equal(index.size, base.length);
    const found = queries.map((q) => index.search(q, 10, { ef: 64, quantization: { oversampling: 2 } }));
    assert.ok(recall(found, exact) >= 0.9, `recall ${String(recall(found, exact))}`);
  });

  it('checks every vector before inserting any', () => {
    const index = new HnswIndex({ dimension: dim, metric: 'euclidean', buildPool: pool(2) });
    const vectors = base.slice(0, BUILD_BATCH + 1).map((v) => Array.from(v));
    vectors[BUILD_BATCH] = [1, 2, 3];
    assert.throws(
      () => {
        index.upsertMany(ids.slice(0, BUILD_BATCH + 1), vectors);
      },
      (error: unknown) => isStrataError(error) && error.code === 'INVALID_ARGUMENT',
    );
    assert.equal(index.size, 0);
  });
});
