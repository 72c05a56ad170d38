import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import h5wasm from 'h5wasm/node';
import { userDataset } from './datasets.js';
import { readNeighbours, readVecs, readVectors } from './formats.js';

const dir = mkdtempSync(join(tmpdir(), 'strata-formats-'));
after(() => {
  rmSync(dir, { recursive: true, force: true });
});

// TEXMEX layout: per row, an i32 dimension then the components.
function vecs(
  name: string,
  rows: number[][],
  width: 1 | 4,
  put: (v: DataView, at: number, x: number) => void,
) {
  const dim = rows[0]?.length ?? 0;
  const view = new DataView(new ArrayBuffer(rows.length * (4 + dim * width)));
  rows.forEach((row, r) => {
    const at = r * (4 + dim * width);
    view.setInt32(at, dim, true);
    row.forEach((x, i) => {
      put(view, at + 4 + i * width, x);
    });
  });
  const path = join(dir, name);
  writeFileSync(path, new Uint8Array(view.buffer));
  return path;
}

// numpy.lib.format version 1.0: magic, version, u16 header length, dict padded so data is 64-aligned.
function npy(name: string, descr: string, shape: number[], data: ArrayBufferView) {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': (${shape.join(', ')}), }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head.writeUInt16LE(header.length, 8);
  const path = join(dir, name);
  writeFileSync(
    path,
    Buffer.concat([
      head,
      Buffer.from(header, 'latin1'),
      new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    ]),
  );
  return path;
}

const base = [
  [0.5, -1, 2],
  [3, 4.25, -5],
];

describe('benchmark data loaders', () => {
  it('read .fvecs, .ivecs and .bvecs', () => {
    const f = vecs('b.fvecs', base, 4, (v, at, x) => {
      v.setFloat32(at, x, true);
    });
    const i = vecs('t.ivecs', [[1, 0]], 4, (v, at, x) => {
      v.setInt32(at, x, true);
    });
    const b = vecs('b.bvecs', [[0, 128, 255]], 1, (v, at, x) => {
      v.setUint8(at, x);
    });
    assert.deepEqual(
      readVectors(f).map((r) => Array.from(r)),
      base,
    );
    assert.deepEqual(
      readNeighbours(i).map((r) => Array.from(r)),
      [[1, 0]],
    );
    assert.deepEqual(
      readVectors(b).map((r) => Array.from(r)),
      [[0, 128, 255]],
    );
    assert.throws(() => readVecs(join(dir, 'x.txt')), /expected \.fvecs/);
  });

  it('reads a truncated .fvecs as an error, not as short rows', () => {
    const path = join(dir, 'short.fvecs');
    writeFileSync(path, new Uint8Array([3, 0, 0, 0, 0, 0, 128, 63]));
    assert.throws(() => readVectors(path), /truncated/);
  });

  it('reads .npy in float32 and float64, and int64 neighbours', () => {
    const f4 = npy('b4.npy', '<f4', [2, 3], new Float32Array(base.flat()));
    const f8 = npy('b8.npy', '<f8', [2, 3], new Float64Array(base.flat()));
    const i8 = npy('t.npy', '<i8', [1, 2], new BigInt64Array([1n, 0n]));
    assert.deepEqual(
      readVectors(f4).map((r) => Array.from(r)),
      base,
    );
    assert.deepEqual(
      readVectors(f8).map((r) => Array.from(r)),
      base,
    );
    assert.deepEqual(
      readNeighbours(i8).map((r) => Array.from(r)),
      [[1, 0]],
    );
    const fortran = join(dir, 'f.npy');
    writeFileSync(
      fortran,
      Buffer.from(
        "\x93NUMPY\x01\x00\x3a\x00{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }",
        'latin1',
      ),
    );
    assert.throws(() => readVectors(fortran), /Fortran order/);
  });

  it('builds a data set from --base/--queries/--truth files', async () => {
    const b = npy('base.npy', '<f4', [2, 3], new Float32Array(base.flat()));
    const q = npy('q.npy', '<f8', [1, 3], new Float64Array([3, 4, -5]));
    const data = await userDataset({ base: b, queries: q, metric: 'euclidean' });
    assert.equal(data.dim, 3);
    assert.equal(data.base.length, 2);
    assert.equal(data.truth, undefined, 'no truth file: the benchmark computes it exactly');
    await assert.rejects(userDataset({ base: b, queries: q }), /--metric/);
  });

  it('reads an ann-benchmarks .hdf5 file, with and without neighbors', async () => {
    await h5wasm.ready;
    const write = (name: string, neighbours: boolean) => {
      const path = join(dir, name);
      const file = new h5wasm.File(path, 'w');
      file.create_dataset({ name: 'train', data: new Float32Array(base.flat()), shape: [2, 3] });
      file.create_dataset({ name: 'test', data: new Float32Array([3, 4, -5]), shape: [1, 3] });
      if (neighbours) file.create_dataset({ name: 'neighbors', data: new Int32Array([1, 0]), shape: [1, 2] });
      file.create_attribute('distance', 'angular');
      file.close();
      return path;
    };
    const data = await userDataset({ base: write('a.hdf5', true) });
    assert.equal(data.metric, 'cosine');
    assert.deepEqual(
      data.base.map((r) => Array.from(r)),
      base,
    );
    assert.deepEqual(
      data.truth?.map((r) => Array.from(r)),
      [[1, 0]],
    );
    const bare = await userDataset({ base: write('b.hdf5', false) });
    assert.equal(bare.truth, undefined);
  });
});
