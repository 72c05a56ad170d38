import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, isStrataError, type ByteWriter } from '../../kernel/index.js';
import { BlockCache } from '../quantization/block-cache.js';
import {
  FileLog,
  FsBlobStore,
  SnapshotFiles,
  bufferSource,
  type BlobFile,
  type ByteSource,
} from '../storage/index.js';
import { capturingLogger, sourceBytes, temporaryDirectory } from '../storage/test-support.js';
import { countTurns } from '../../../test/support/event-loop.js';
import { CollectionSnapshots } from './collection-snapshots.js';
import { VectorStore } from './vector-store.js';

const directory = temporaryDirectory('collection-snapshots');
const logger = createLogger('silent');
const admitAll = (): void => undefined;

/** A blob store whose puts fail while `failing` is set: a disk that fills up mid-restore. */
class FailingBlobStore extends FsBlobStore {
  failing = false;

  override put(name: string, body: ByteWriter): Promise<void> {
    return this.failing
      ? Promise.reject(new Error('ENOSPC: no space left on device'))
      : super.put(name, body);
  }
}

/** A blob store that records the largest chunk written and the largest read of a blob. */
class MeasuringBlobStore extends FsBlobStore {
  largestWrite = 0;
  largestRead = 0;

  override put(name: string, body: ByteWriter): Promise<void> {
    return super.put(name, (write) =>
      body((chunk) => {
        this.largestWrite = Math.max(this.largestWrite, chunk.byteLength);
        write(chunk);
      }),
    );
  }

  override async open(name: string): Promise<BlobFile | undefined> {
    const blob = await super.open(name);
    if (blob === undefined) return undefined;
    return {
      size: blob.size,
      read: (position, length) => {
        this.largestRead = Math.max(this.largestRead, length);
        return blob.read(position, length);
      },
      close: () => {
        blob.close();
      },
    };
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

async function snapshotFile(snapshots: CollectionSnapshots, collection: string): Promise<ByteSource> {
  const created = await snapshots.create(collection);
  const source = snapshots.files.source(collection, created.name);
  try {
    return bufferSource(sourceBytes(source));
  } finally {
    source.close();
  }
}

/** Snapshot files that call `onChunk` before each chunk of a state is written and `onWritten` after the last. */
class WatchedFiles extends SnapshotFiles {
  constructor(
    root: string,
    private readonly onChunk: () => void,
    private readonly onWritten: () => void = () => undefined,
  ) {
    super(root);
  }

  override create(collection: string, label: string, body: ByteWriter): ReturnType<SnapshotFiles['create']> {
    return super.create(collection, label, async (write) => {
      await body((chunk) => {
        this.onChunk();
        write(chunk);
      });
      this.onWritten();
    });
  }
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
    const damaged = sourceBytes(file);
    damaged[60] = (damaged[60] ?? 0) ^ 1;
    const invalid = (error: unknown) => isStrataError(error) && error.code === 'INVALID_ARGUMENT';
    await assert.rejects(snapshots.recover('a', bufferSource(damaged), undefined, admitAll), invalid);
    await assert.rejects(
      snapshots.recover('a', file, undefined, () => {
        throw new Error('over quota');
      }),
      /over quota/,
    );
    assert.equal(store.collection('a').pointCount, 3);
    await store.stop();
  });

  it('writes and reads the snapshots of an on-disk collection a block at a time, never whole', async () => {
    const dir = directory();
    const blobs = new MeasuringBlobStore(dir);
    const { store } = await open(dir, blobs);
    const dimension = 256;
    await store.createCollection('big', {
      vectors: { size: dimension, distance: 'Euclid', on_disk: true },
      quantization_config: { scalar: { type: 'int8' } },
    });
    const count = 12_000;
    for (let from = 0; from < count; from += 2000) {
      await store.mutate('big', {
        op: 'upsert',
        points: Array.from({ length: 2000 }, (_, i) => ({
          id: from + i,
          vector: Array.from({ length: dimension }, (_, d) => Math.sin((from + i) * 0.37 + d)),
          payload: { id: from + i },
        })),
      });
    }
    const query = Array.from({ length: dimension }, (_, d) => Math.cos(d));
    const before = store.collection('big').nearest(query, 10, { ef: 64, exact: false });
    await store.stop(); // snapshots the collection
    const vectorBytes = count * dimension * 4;
    const block = 4 << 20;
    assert.ok(
      blobs.largestWrite > 0 && blobs.largestWrite <= block,
      `largest write ${String(blobs.largestWrite)}`,
    );
    const reopened = await open(dir, blobs);
    assert.ok(
      blobs.largestRead > 0 && blobs.largestRead <= block + (256 << 10),
      `largest read ${String(blobs.largestRead)}`,
    );
    assert.ok(vectorBytes > 2 * block);
    assert.deepEqual(reopened.store.collection('big').nearest(query, 10, { ef: 64, exact: false }), before);
    await reopened.store.stop();
  });

  it('gives the event loop turns while it writes a snapshot; a write sent meanwhile is not in it', async () => {
    const dir = directory();
    const { store } = await open(dir);
    // Three blocks of 1024 points × 1024 dimensions: 4 MiB of vectors each.
    await filledCollection(store, 'big', 1024, 3 * 1024);
    const counter = countTurns();
    /** Per chunk written: the event loop's turns so far and the points the collection had. */
    const seen: { turns: number; points: number }[] = [];
    let writing: Promise<void> | undefined;
    // Sends an upsert once the first chunk of the state is written.
    const files = new WatchedFiles(join(dir, 'user-snapshots'), () => {
      seen.push({ turns: counter.turns(), points: store.collection('big').pointCount });
      writing ??= upsert(store, 'big', [5000], 1024);
    });
    const snapshots = new CollectionSnapshots(store, files, logger);
    let file;
    try {
      file = await snapshotFile(snapshots, 'big');
      await writing;
    } finally {
      counter.stop();
    }
    const turnsWhileWriting = (seen.at(-1)?.turns ?? 0) - (seen[0]?.turns ?? 0);
    assert.ok(turnsWhileWriting >= 2, `${String(turnsWhileWriting)} turns while 12 MiB were written`);
    assert.deepEqual(
      new Set(seen.map((s) => s.points)),
      new Set([3 * 1024]),
      'no write applied mid-snapshot',
    );
    assert.equal(store.collection('big').pointCount, 3 * 1024 + 1, 'the upsert is applied after it');
    await snapshots.recover('copy', file, undefined, admitAll);
    assert.equal(
      store.collection('copy').pointCount,
      3 * 1024,
      'the snapshot holds the state before the upsert',
    );
    await store.stop();
  });

  it('a collection deleted while its snapshot is written goes once the state is written', async () => {
    const dir = directory();
    const { store } = await open(dir);
    await filledCollection(store, 'doomed', 1024, 3 * 1024);
    const events: string[] = [];
    let deleting: Promise<void> | undefined;
    const files = new WatchedFiles(
      join(dir, 'user-snapshots'),
      () => {
        // The state's first chunk is written: delete the collection now.
        deleting ??= store.deleteCollection('doomed').then(() => {
          events.push('deleted');
        });
      },
      () => events.push('state written'),
    );
    const snapshots = new CollectionSnapshots(store, files, logger);
    const file = await snapshotFile(snapshots, 'doomed');
    await deleting;
    assert.deepEqual(events, ['state written', 'deleted']);
    assert.throws(() => store.collection('doomed'), /doomed/);
    await snapshots.recover('doomed', file, undefined, admitAll);
    assert.equal(store.collection('doomed').pointCount, 3 * 1024);
    await store.stop();
  });

  it('gives the event loop turns while it rebuilds a restored collection, a chunk of points at a time', async () => {
    const { store, snapshots } = await open(directory());
    await filledCollection(store, 'many', 2, 3 * 4096);
    const file = await snapshotFile(snapshots, 'many');
    const counter = countTurns();
    try {
      await snapshots.recover('copy', file, undefined, (restored) => {
        // Called once every point is indexed, before the switch.
        assert.equal(restored.pointCount, 3 * 4096);
        assert.ok(
          counter.turns() >= 3,
          `${String(counter.turns())} turns while 3 × 4096 points were indexed`,
        );
      });
    } finally {
      counter.stop();
    }
    assert.equal(store.collection('copy').pointCount, 3 * 4096);
    await store.stop();
  });
});

/** A collection of `count` points of `dimension` dimensions, with a graph cheap to build. */
async function filledCollection(store: VectorStore, name: string, dimension: number, count: number) {
  await store.createCollection(name, {
    vectors: { size: dimension, distance: 'Euclid' },
    hnsw_config: { m: 4, ef_construct: 8 },
  });
  await upsert(
    store,
    name,
    Array.from({ length: count }, (_, i) => i),
    dimension,
  );
}
