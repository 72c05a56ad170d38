import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, isStrataError } from '../../kernel/index.js';
import { BlockCache } from '../quantization/block-cache.js';
import { FileLog, FsBlobStore, SnapshotFiles } from '../storage/index.js';
import { capturingLogger, temporaryDirectory } from '../storage/test-support.js';
import { CollectionSnapshots } from './collection-snapshots.js';
import { VectorStore } from './vector-store.js';

const directory = temporaryDirectory('collection-snapshots');
const logger = createLogger('silent');
const admitAll = (): void => undefined;

/** A blob store whose puts fail while `failing` is set: a disk that fills up mid-restore. */
class FailingBlobStore extends FsBlobStore {
  failing = false;

  override put(name: string, bytes: Uint8Array): Promise<void> {
    return this.failing
      ? Promise.reject(new Error('ENOSPC: no space left on device'))
      : super.put(name, bytes);
  }
}

async function open(dir: string, blobs = new FsBlobStore(dir)) {
  const store = new VectorStore({
    directory: dir,
    logger,
    openLog: (log) => FileLog.open({ directory: log, logger, fsync: 'never' }),
    snapshots: blobs,
    snapshotsKept: 2,
    snapshotEveryOperations: 10_000,
    diskCache: new BlockCache(1 << 20),
  });
  await store.start();
  return {
    store,
    snapshots: new CollectionSnapshots(
      store,
      new SnapshotFiles(join(dir, 'user-snapshots')),
      capturingLogger().logger,
    ),
  };
}

async function upsert(store: VectorStore, collection: string, ids: number[], dimension = 2) {
  await store.mutate(collection, {
    op: 'upsert',
    points: ids.map((id) => ({
      id,
      vector: Array.from({ length: dimension }, (_, i) => id + i + 1),
      payload: { id },
    })),
  });
}

async function snapshotFile(snapshots: CollectionSnapshots, collection: string): Promise<Buffer> {
  const created = await snapshots.create(collection);
  return snapshots.files.read(collection, created.name);
}

describe('CollectionSnapshots', () => {
  it('a restore whose write fails leaves the old collection serving and writable, also after a restart', async () => {
    const dir = directory();
    const blobs = new FailingBlobStore(dir);
    const { store, snapshots } = await open(dir, blobs);
    await store.createCollection('a', { vectors: { size: 2, distance: 'Dot' } });
    await upsert(store, 'a', [1, 2, 3]);
    const file = await snapshotFile(snapshots, 'a');
    await upsert(store, 'a', [4, 5]);
    blobs.failing = true;
    await assert.rejects(snapshots.recover('a', file, undefined, admitAll), /no space left/);
    blobs.failing = false;
    assert.equal(store.collection('a').pointCount, 5);
    await upsert(store, 'a', [6]);
    await store.stop();
    const reopened = await open(dir);
    assert.equal(reopened.store.collection('a').pointCount, 6);
    await reopened.store.stop();
  });

  it('a crash after the switch, before the catalog was rewritten, opens the restored collection', async () => {
    const dir = directory();
    const { store, snapshots } = await open(dir);
    await store.createCollection('small', { vectors: { size: 3, distance: 'Cosine' } });
    await upsert(store, 'small', [7, 8], 3);
    const file = await snapshotFile(snapshots, 'small');
    await store.createCollection('a', { vectors: { size: 2, distance: 'Dot' } });
    await upsert(store, 'a', [1, 2, 3, 4]);
    const catalog = await readFile(join(dir, 'collections.json'), 'utf8');
    await snapshots.recover('a', file, undefined, admitAll);
    await store.stop();
    // The catalog as it was before the restore: what a crash right after the snapshot put leaves.
    await writeFile(join(dir, 'collections.json'), catalog);
    const reopened = await open(dir);
    const restored = reopened.store.collection('a');
    assert.equal(restored.params.dimension, 3);
    assert.equal(restored.pointCount, 2);
    // Writes continue the old log past the restored snapshot, and are not skipped by the next start.
    await upsert(reopened.store, 'a', [9], 3);
    await reopened.store.stop();
    const again = await open(dir);
    assert.equal(again.store.collection('a').pointCount, 3);
    await again.store.stop();
  });

  it('refuses a damaged file before anything changes, and a quota can refuse a restore', async () => {
    const dir = directory();
    const { store, snapshots } = await open(dir);
    await store.createCollection('a', { vectors: { size: 2, distance: 'Dot' } });
    await upsert(store, 'a', [1, 2]);
    const file = await snapshotFile(snapshots, 'a');
    await upsert(store, 'a', [3]);
    const damaged = Buffer.from(file);
    damaged[60] = (damaged[60] ?? 0) ^ 1;
    const invalid = (error: unknown) => isStrataError(error) && error.code === 'INVALID_ARGUMENT';
    await assert.rejects(snapshots.recover('a', damaged, undefined, admitAll), invalid);
    await assert.rejects(
      snapshots.recover('a', file, undefined, () => {
        throw new Error('over quota');
      }),
      /over quota/,
    );
    assert.equal(store.collection('a').pointCount, 3);
    await store.stop();
  });
});
