import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FsBlobStore } from './fs-blob-store.js';
import { sourceBytes, temporaryDirectory } from './test-support.js';

const nextDirectory = temporaryDirectory('blobs');

async function read(store: FsBlobStore, name: string): Promise<Buffer | undefined> {
  const blob = await store.open(name);
  if (blob === undefined) return undefined;
  try {
    return sourceBytes(blob);
  } finally {
    blob.close();
  }
}

describe('FsBlobStore', () => {
  it('puts, opens, lists by prefix and deletes blobs', async () => {
    const store = new FsBlobStore(nextDirectory());
    assert.equal(store.atomicPut, true);
    await store.put('a/one', (write) => {
      write(new Uint8Array([1]));
    });
    await store.put('a/two', (write) => {
      write(new Uint8Array([2, 2]));
    });
    await store.put('b/three', (write) => {
      write(new Uint8Array([3]));
    });
    assert.deepEqual(await read(store, 'a/two'), Buffer.from([2, 2]));
    assert.equal(await store.open('a/none'), undefined);
    assert.deepEqual(await store.list('a/'), ['a/one', 'a/two']);
    assert.deepEqual(await store.list(''), ['a/one', 'a/two', 'b/three']);
    await store.delete('a/one');
    await store.delete('a/one');
    assert.deepEqual(await store.list('a/'), ['a/two']);
    assert.deepEqual(await new FsBlobStore(nextDirectory()).list(''), []);
  });

  it('replaces a blob whole and leaves no temporary file behind', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    await store.put('x/blob', (write) => {
      write(new Uint8Array(1000).fill(1));
    });
    await store.put('x/blob', (write) => {
      write(new Uint8Array(10).fill(2));
    });
    assert.deepEqual(await read(store, 'x/blob'), Buffer.alloc(10, 2));
    assert.deepEqual(await readdir(join(root, 'x')), ['blob']);
  });

  it('writes a blob handed over in chunks of any size, and a failing body leaves the old blob', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    const expected = Buffer.alloc(3 << 20);
    for (let i = 0; i < expected.length; i++) expected[i] = (i * 7) % 251;
    await store.put('x/big', (write) => {
      // Small chunks gathered, one larger than the staging buffer written through, then small again.
      const pieces = (from: number, to: number, size: number): void => {
        for (let at = from; at < to; at += size) write(expected.subarray(at, Math.min(at + size, to)));
      };
      pieces(0, 1 << 20, 1000);
      pieces(1 << 20, 5 << 19, 3 << 19);
      pieces(5 << 19, expected.length, 4096);
    });
    assert.ok((await read(store, 'x/big'))?.equals(expected));
    await assert.rejects(
      store.put('x/big', (write) => {
        write(new Uint8Array(10));
        throw new Error('the state went away');
      }),
      /went away/,
    );
    assert.ok((await read(store, 'x/big'))?.equals(expected));
    assert.deepEqual(await readdir(join(root, 'x')), ['big']);
  });

  it('ignores a temporary file a crash left behind', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    await store.put('x/blob', (write) => {
      write(new Uint8Array([1]));
    });
    await writeFile(join(root, 'x', '.3f2a.tmp'), 'half written');
    assert.deepEqual(await store.list(''), ['x/blob']);
  });

  it('refuses names that could escape the root or hide from list', async () => {
    const store = new FsBlobStore(nextDirectory());
    for (const name of ['../up', 'a//b', '/abs', 'a/.hidden', 'a\\b', '']) {
      await assert.rejects(
        store.put(name, (write) => {
          write(new Uint8Array());
        }),
        (e) => isStrataError(e) && e.code === 'INVALID_ARGUMENT',
      );
    }
  });
});
