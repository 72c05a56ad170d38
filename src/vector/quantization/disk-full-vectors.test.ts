import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { fitPca } from '../algorithms/pca.js';
import { vectorIndexConformance } from '../conformance.js';
import { FlatIndex } from '../flat-index.js';
import { IvfPqIndex } from '../ivf/ivf-pq-index.js';
import { mulberry32 } from '../random.js';
import { PcaIndex } from '../reduced/pca-index.js';
import { temporaryDirectory } from '../storage/test-support.js';
import { clustered } from '../test-data.js';
import { metrics, type Metric } from '../types.js';
import { BlockCache } from './block-cache.js';
import { DiskFullVectors } from './disk-full-vectors.js';
import { EngineFullVectors, type FullVectors } from './full-vectors.js';
import { QuantizedHnswIndex } from './quantized-index.js';

const directory = temporaryDirectory('disk-full-vectors');

function diskStore(
  dimension: number,
  metric: Metric,
  cache: BlockCache,
  blockRows?: number,
  path = join(directory(), 'vectors.f32'),
) {
  return new DiskFullVectors({
    path,
    dimension,
    metric,
    cache,
    ...(blockRows === undefined ? {} : { blockRows }),
  });
}

/** Every observable of two stores, compared exactly: rows, distances (bit for bit), slots, entries. */
function assertSame(disk: FullVectors, memory: FullVectors, ids: number, query: Float32Array): void {
  assert.equal(disk.size, memory.size);
  disk.setQuery(query);
  memory.setQuery(query);
  for (let id = 0; id < ids; id++) {
    assert.equal(disk.has(id), memory.has(id));
    assert.deepEqual(disk.get(id)?.slice(), memory.get(id)?.slice());
    // Object.is: bit-identical, not merely close (and Infinity for an unknown id on both).
    assert.ok(Object.is(disk.distance(id), memory.distance(id)), `distance of ${id}`);
  }
  const rows = (store: FullVectors) => Array.from(store.entries(), ([id, row]) => [id, Array.from(row)]);
  assert.deepEqual(rows(disk), rows(memory));
  const [a, b] = [disk.slots(), memory.slots()];
  assert.equal(a.slots, b.slots);
  for (let row = 0; row < a.slots; row++) assert.equal(a.idAt(row), b.idAt(row));
  for (let id = 0; id < ids; id++) assert.equal(a.slotOf(id), b.slotOf(id));
}

describe('DiskFullVectors', () => {
  for (const metric of metrics) {
    for (const dimension of [13, 64]) {
      it(`matches EngineFullVectors under random set, overwrite, delete and reuse, with a 2-block cache (${metric}, ${dimension}-d)`, () => {
        const blockRows = 4;
        const budget = 2 * blockRows * dimension * 4;
        const cache = new BlockCache(budget);
        const disk = diskStore(dimension, metric, cache, blockRows);
        const memory = new EngineFullVectors(dimension, metric, 'auto', 4);
        const random = mulberry32(dimension);
        const vector = () => Float32Array.from({ length: dimension }, () => random() * 2 - 1);
        const ids = 300;
        for (let step = 0; step < 3000; step++) {
          const id = Math.floor(random() * ids);
          if (random() < 0.3) assert.equal(disk.delete(id), memory.delete(id));
          else {
            const row = vector();
            disk.set(id, row);
            memory.set(id, row);
          }
          if (step % 100 === 0) {
            disk.setQuery(row0(random, dimension));
            for (let probe = 0; probe < 20; probe++) disk.distance(Math.floor(random() * ids));
          }
          assert.ok(cache.stats().bytes <= budget, `cached ${cache.stats().bytes} > ${budget}`);
        }
        assertSame(disk, memory, ids, vector());
        const stats = cache.stats();
        assert.ok(stats.bytes <= budget && stats.misses > 0 && stats.hits > 0, JSON.stringify(stats));
        assert.equal(disk.bytes(), stats.bytes);
        assert.ok(disk.fileBytes() > 10 * budget, 'the data outgrows the cache many times');
        disk.close();
      });
    }
  }

  it('reads every row straight from the file when one block exceeds the whole budget', () => {
    const cache = new BlockCache(0);
    const disk = diskStore(8, 'euclidean', cache);
    const memory = new EngineFullVectors(8, 'euclidean', 'auto');
    const random = mulberry32(5);
    for (let id = 0; id < 100; id++) {
      const row = Float32Array.from({ length: 8 }, () => random());
      disk.set(id, row);
      memory.set(id, row);
    }
    assertSame(disk, memory, 100, new Float32Array(8).fill(0.5));
    assert.equal(cache.stats().bytes, 0);
    disk.close();
  });

  it('shares one budget between stores, each counting only its own cached blocks', () => {
    const budget = 3 * 4096;
    const cache = new BlockCache(budget);
    const stores = [diskStore(128, 'dot', cache), diskStore(128, 'dot', cache)];
    const random = mulberry32(9);
    for (const store of stores) {
      for (let id = 0; id < 200; id++)
        store.set(
          id,
          Float32Array.from({ length: 128 }, () => random()),
        );
      store.setQuery(new Float32Array(128).fill(1));
    }
    for (let i = 0; i < 500; i++) stores[i % 2]?.distance(Math.floor(random() * 200));
    const [a, b] = stores.map((store) => store.bytes());
    assert.equal((a ?? 0) + (b ?? 0), cache.stats().bytes);
    assert.ok(cache.stats().bytes <= budget);
    stores[0]?.close();
    assert.equal(cache.stats().bytes, b, 'a closed store gives its blocks back');
  });

  it('fails with INTERNAL naming the file when it cannot create it', () => {
    const folder = directory();
    mkdirSync(folder, { recursive: true });
    const blocker = join(folder, 'not-a-folder');
    writeFileSync(blocker, '');
    assert.throws(
      () => diskStore(4, 'dot', new BlockCache(4096), undefined, join(blocker, 'vectors.f32')),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'INTERNAL' &&
        error.message.includes('cannot create the full-vector file') &&
        error.message.includes(blocker),
    );
  });

  it('deletes its file on close and answers as empty after', () => {
    const cache = new BlockCache(1 << 16);
    const path = join(directory(), 'nested', 'vectors.f32');
    const disk = new DiskFullVectors({ path, dimension: 4, metric: 'cosine', cache });
    disk.set(1, new Float32Array([1, 0, 0, 0]));
    assert.equal(existsSync(path), true);
    disk.close();
    assert.equal(existsSync(path), false);
    assert.equal(disk.get(1), undefined);
    assert.equal(disk.distance(1), Infinity);
    disk.set(2, new Float32Array([0, 1, 0, 0]));
    assert.equal(disk.has(2), false);
    assert.equal(cache.stats().bytes, 0);
  });
});

function row0(random: () => number, dimension: number): Float32Array {
  return Float32Array.from({ length: dimension }, () => random());
}

// The quantized index with its originals on disk behind a 2-block cache passes the same suite.
for (const quantization of [{ kind: 'int8' }, { kind: 'binary' }] as const) {
  vectorIndexConformance(
    `QuantizedHnswIndex (${quantization.kind}, full vectors on disk)`,
    (dimension, metric) =>
      new QuantizedHnswIndex({
        dimension,
        metric,
        quantization,
        trainingPoints: 1,
        oversampling: 4,
        fullVectors: (d, m) => diskStore(d, m, new BlockCache(2 * 4096)),
      }),
  );
}

describe('indexes rescoring from disk', () => {
  const dim = 32;
  const base = clustered(21, 3000, dim);
  const queries = clustered(21, 50, dim, 7);

  for (const metric of ['cosine', 'euclidean'] as const) {
    it(`QuantizedHnswIndex answers exactly as with its originals in RAM, through a tiny cache (${metric})`, () => {
      const cache = new BlockCache(4 * 4096);
      const options = { dimension: dim, metric, quantization: { kind: 'int8' } as const, m: 12 };
      const inRam = new QuantizedHnswIndex(options);
      const onDisk = new QuantizedHnswIndex({ ...options, fullVectors: (d, m) => diskStore(d, m, cache) });
      base.forEach((v, id) => {
        inRam.upsert(id, v);
        onDisk.upsert(id, v);
      });
      for (let id = 0; id < 600; id += 3) {
        inRam.delete(id);
        onDisk.delete(id);
      }
      onDisk.compact();
      inRam.compact();
      for (const q of queries) {
        const search = { ef: 64, quantization: { oversampling: 3 } };
        assert.deepEqual(onDisk.search(q, 10, search), inRam.search(q, 10, search));
        assert.deepEqual(onDisk.search(q, 10, { exact: true }), inRam.search(q, 10, { exact: true }));
      }
      assert.ok(onDisk.vectorMemory().originals <= 4 * 4096);
      assert.ok(onDisk.memoryBytes() < inRam.memoryBytes());
      onDisk.close();
    });
  }

  it('IvfPqIndex takes a FullVectors factory and rescores from disk to the same results', () => {
    const cache = new BlockCache(4 * 4096);
    const options = { dimension: dim, metric: 'euclidean' as const, nlist: 16, m: 8 };
    const inRam = new IvfPqIndex(options);
    const onDisk = new IvfPqIndex({ ...options, fullVectors: (d, m) => diskStore(d, m, cache) });
    base.forEach((v, id) => {
      inRam.upsert(id, v);
      onDisk.upsert(id, v);
    });
    for (const q of queries) assert.deepEqual(onDisk.search(q, 10), inRam.search(q, 10));
    assert.ok(cache.stats().misses > 0);
    onDisk.close();
  });

  it('PcaIndex takes a FullVectors factory and rescores from disk to the same results', () => {
    const cache = new BlockCache(4 * 4096);
    const model = fitPca(Float32Array.from(base.slice(0, 500).flatMap((v) => [...v])), dim, {
      components: 8,
      seed: 3,
    });
    const options = {
      metric: 'cosine' as const,
      model,
      inner: (dimension: number, metric: Metric) => new FlatIndex({ dimension, metric }),
    };
    const inRam = new PcaIndex(options);
    const onDisk = new PcaIndex({ ...options, fullVectors: (d, m) => diskStore(d, m, cache) });
    base.forEach((v, id) => {
      inRam.upsert(id, v);
      onDisk.upsert(id, v);
    });
    for (const q of queries) assert.deepEqual(onDisk.search(q, 10), inRam.search(q, 10));
    assert.ok(cache.stats().misses > 0 && cache.stats().bytes <= 4 * 4096);
    onDisk.close();
  });
});
