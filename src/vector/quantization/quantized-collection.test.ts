import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { Collection } from '../collection/collection.js';
import { paramsFromCreate } from '../collection/params.js';
import { bufferSource } from '../storage/byte-source.js';
import { clustered } from '../test-data.js';
import { quantizationConfigFrom, quantizationSearchFrom } from './config.js';

const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';

describe('quantization config (Qdrant shape)', () => {
  it('accepts scalar int8 and binary, keeping only what was given', () => {
    assert.deepEqual(quantizationConfigFrom({ scalar: { type: 'int8' } }), { scalar: { type: 'int8' } });
    assert.deepEqual(
      quantizationConfigFrom({ scalar: { type: 'int8', quantile: 0.95, always_ram: false } }),
      {
        scalar: { type: 'int8', quantile: 0.95, always_ram: false },
      },
    );
    assert.deepEqual(quantizationConfigFrom({ binary: {}, scalar: null }), { binary: {} });
    assert.equal(quantizationConfigFrom(null), undefined);
  });

  it('refuses what it cannot honour with INVALID_ARGUMENT', () => {
    for (const bad of [
      {},
      [],
      { scalar: { type: 'int4' } },
      { scalar: { type: 'int8', quantile: 0.2 } },
      { scalar: { type: 'int8', always_ram: 'yes' } },
      { product: { compression: 'x4' } },
      { binary: { encoding: 'two_bits' } },
    ]) {
      assert.throws(() => quantizationConfigFrom(bad), invalid, JSON.stringify(bad));
    }
    for (const bad of [{ oversampling: 0 }, { oversampling: 101 }, { ignore: 1 }, { hnsw_ef: 3 }, 'x']) {
      assert.throws(() => quantizationSearchFrom(bad), invalid, JSON.stringify(bad));
    }
    assert.deepEqual(quantizationSearchFrom({ rescore: false, oversampling: 2.5 }), {
      rescore: false,
      oversampling: 2.5,
    });
  });
});

describe('a quantized collection', () => {
  it('keeps its config and answers the same after a snapshot and restore', async () => {
    const params = paramsFromCreate({
      vectors: { size: 24, distance: 'Euclid' },
      quantization_config: { scalar: { type: 'int8', quantile: 0.98 } },
    });
    const collection = new Collection('q', params);
    const data = clustered(4, 3000, 24);
    collection.apply(
      { op: 'upsert', points: data.map((v, id) => ({ id, vector: Array.from(v), payload: {} })) },
      1,
    );
    const query = Array.from(clustered(4, 1, 24, 5)[0] ?? []);
    const search = (c: Collection) =>
      c.nearest(query, 10, { ef: 64, exact: false, quantization: { oversampling: 3 } }).map((h) => h.id);
    const exact = collection.nearest(query, 10, { ef: 64, exact: true }).map((h) => h.id);
    const before = search(collection);
    assert.ok(before.filter((id) => exact.includes(id)).length >= 9);
    const restored = await Collection.restore(
      'q',
      bufferSource(Buffer.concat(Array.from(collection.stateChunks(), (chunk) => Buffer.from(chunk)))),
    );
    assert.deepEqual(restored.params.quantization, { scalar: { type: 'int8', quantile: 0.98 } });
    assert.deepEqual(restored.vector(7), collection.vector(7));
    assert.ok(search(restored).filter((id) => exact.includes(id)).length >= 9);
  });
});
