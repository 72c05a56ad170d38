import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import { FsBlobStore } from './fs-blob-store.js';
import { deleteSnapshots, latestSnapshot, writeSnapshot, type SnapshotState } from './snapshots.js';
import { capturingLogger, sourceBytes, temporaryDirectory } from './test-support.js';

const nextDirectory = temporaryDirectory('snapshots');
const bytes = (text: string) => new TextEncoder().encode(text);
/** A state that hands over `text` in two chunks. */
const state = (sequence: number, text: string): SnapshotState => ({
  sequence,
  stateChunks: () => [bytes(text.slice(0, 2)), bytes(text.slice(2))],
});

describe('snapshots', () => {
  it('returns the newest snapshot and keeps only the last N', async () => {
    const store = new FsBlobStore(nextDirectory());
    const { logger } = capturingLogger();
    assert.equal(await latestSnapshot(store, 'c', logger), undefined);
    for (const sequence of [5, 9, 40, 120])
      await writeSnapshot(store, 'c', state(sequence, `at ${sequence}`), 3);
    const written = await writeSnapshot(store, 'c', state(1000, 'at 1000'), 3);
    assert.equal(written.truncatableThrough, 40, 'the oldest snapshot kept');
    assert.equal((await store.list('snapshots/c/')).length, 3);
    const latest = await latestSnapshot(store, 'c', logger);
    assert.equal(latest?.sequence, 1000);
    assert.equal(sourceBytes(latest.state).toString(), 'at 1000');
    latest.close();
  });

  it('keeps collections apart, whatever their names', async () => {
    const store = new FsBlobStore(nextDirectory());
    const { logger } = capturingLogger();
    await writeSnapshot(store, '../a/b', state(1, 'odd'));
    await writeSnapshot(store, '.a', state(2, 'dot'));
    await writeSnapshot(store, 'a', state(3, 'plain'));
    assert.equal((await latestSnapshot(store, '../a/b', logger))?.sequence, 1);
    assert.equal((await latestSnapshot(store, '.a', logger))?.sequence, 2);
    assert.equal((await latestSnapshot(store, 'a', logger))?.sequence, 3);
    await deleteSnapshots(store, 'a');
    assert.equal(await latestSnapshot(store, 'a', logger), undefined);
    assert.equal((await latestSnapshot(store, '.a', logger))?.sequence, 2);
  });

  it('falls back to the previous snapshot when the newest fails its checksum, and says so', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    const { logger, lines } = capturingLogger();
    await writeSnapshot(store, 'c', state(10, 'old'));
    const { name } = await writeSnapshot(store, 'c', state(20, 'new'));
    const damaged = await readFile(join(root, name));
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    await writeFile(join(root, name), damaged);
    const latest = await latestSnapshot(store, 'c', logger);
    assert.equal(latest?.sequence, 10);
    assert.equal(lines.length, 1);
  });

  it('ignores a temporary file a crash left while writing a snapshot', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    const { logger, lines } = capturingLogger();
    await writeSnapshot(store, 'c', state(10, 'complete'));
    await writeFile(join(root, 'snapshots', 'c', '.00000000000000000020.snap.1a2b.tmp'), 'partial');
    assert.equal((await latestSnapshot(store, 'c', logger))?.sequence, 10);
    assert.equal(lines.length, 0);
  });

  it('reads a snapshot an earlier version wrote (its checksum before the state)', async () => {
    const root = nextDirectory();
    const store = new FsBlobStore(root);
    const { logger } = capturingLogger();
    const legacy = Buffer.alloc(16 + 5);
    legacy.writeUInt32LE(0x4e535453, 0); // "STSN"
    legacy.writeBigUInt64LE(7n, 8);
    legacy.write('older', 16);
    legacy.writeUInt32LE(crc32(legacy.subarray(8)), 4);
    await mkdir(join(root, 'snapshots', 'c'), { recursive: true });
    await writeFile(join(root, 'snapshots', 'c', '00000000000000000007.snap'), legacy);
    const latest = await latestSnapshot(store, 'c', logger);
    assert.equal(latest?.sequence, 7);
    assert.equal(sourceBytes(latest.state).toString(), 'older');
    latest.close();
    legacy[18] = (legacy[18] ?? 0) ^ 1;
    await writeFile(join(root, 'snapshots', 'c', '00000000000000000007.snap'), legacy);
    assert.equal(await latestSnapshot(store, 'c', logger), undefined);
  });
});
