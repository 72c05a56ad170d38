import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FsBlobStore } from './fs-blob-store.js';
import { deleteSnapshots, latestSnapshot, writeSnapshot } from './snapshots.js';
import { capturingLogger, temporaryDirectory } from './test-support.js';

const nextDirectory = temporaryDirectory('snapshots');
const bytes = (text: string) => new TextEncoder().encode(text);

describe('snapshots', () => {
  it('returns the newest snapshot and keeps only the last N', async () => {
    const store = new FsBlobStore(nextDirectory());
    const { logger } = capturingLogger();
    assert.equal(await latestSnapshot(store, 'c', logger), undefined);
    for (const sequence of [5, 9, 40, 120])
      await writeSnapshot(store, 'c', sequence, bytes(`at ${sequence}`), 3);
    const written = await writeSnapshot(store, 'c', 1000, bytes('at 1000'), 3);
    assert.equal(written.truncatableThrough, 40, 'the oldest snapshot kept');
    assert.equal((await store.list('snapshots/c/')).length, 3);
    const latest = await latestSnapshot(store, 'c', logger);
    assert.equal(latest?.sequence, 1000);
    assert.equal(new TextDecoder().decode(latest.bytes), 'at 1000');
  });

  it('keeps collections apart, whatever their names', async () => {
    const store = new FsBlobStore(nextDirectory());
    const { logger } = capturingLogger();
    await writeSnapshot(store, '../a/b', 1, bytes('odd'));
    await writeSnapshot(store, '.a', 2, bytes('dot'));
    await writeSnapshot(store, 'a', 3, bytes('plain'));
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
    await writeSnapshot(store, 'c', 10, bytes('old'));
    const { name } = await writeSnapshot(store, 'c', 20, bytes('new'));
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
    await writeSnapshot(store, 'c', 10, bytes('complete'));
    await writeFile(join(root, 'snapshots', 'c', '.00000000000000000020.snap.1a2b.tmp'), 'partial');
    assert.equal((await latestSnapshot(store, 'c', logger))?.sequence, 10);
    assert.equal(lines.length, 0);
  });
});
