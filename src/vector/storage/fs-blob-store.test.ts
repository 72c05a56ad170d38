import assert from 'node:assert/strict';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FsBlobStore } from './fs-blob-store.js';
import { temporaryDirectory } from './test-support.js';

const nextDirectory = temporaryDirectory('blobs');

describe('FsBlobStore', () => {
  it('puts, gets, lists by prefix and deletes blobs', async () => {
    const store = new FsBlobStore(nextDirectory());
    assert.equal(store.atomicPut, true);
    await store.put('a/one', new Uint8Array([1]));
    await store.put('a/two', new Uint8Array([2, 2]));
    await store.put('b/three', new Uint8Array([3]));
    assert.deepEqual(await store.get('a/two'), Buffer.from([2, 2]));
    assert.equal(await store.get('a/none'), undefined);
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
    await store.put('x/blob', new Uint8Array(1000).fill(1));
    await store.put('x/blob', new Uint8Array(10).fill(2));
    assert.deepEqual(await store.get('x/blob'), Buffer.alloc(10, 2));
    assert.deepEqual(await readdir(join(root, 'x')), ['blob']);
  });

  it('ignores a temporary file a crash left behind', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    await store.put('x/blob', new Uint8Array([1]));
    await writeFile(join(root, 'x', '.3f2a.tmp'), 'half written');
    assert.deepEqual(await store.list(''), ['x/blob']);
  });

  it('refuses names that could escape the root or hide from list', async () => {
    const store = new FsBlobStore(nextDirectory());
    for (const name of ['../up', 'a//b', '/abs', 'a/.hidden', 'a\\b', '']) {
      await assert.rejects(
        store.put(name, new Uint8Array()),
        (e) => isStrataError(e) && e.code === 'INVALID_ARGUMENT',
      );
    }
  });
});
