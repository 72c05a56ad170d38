import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { bufferSource } from './byte-source.js';
import { SnapshotFiles, checkSnapshotName, snapshotBody } from './snapshot-files.js';
import { sourceBytes, temporaryDirectory } from './test-support.js';

const directory = temporaryDirectory('snapshot-files');
const invalid = (error: unknown) => isStrataError(error) && error.code === 'INVALID_ARGUMENT';

describe('snapshot files', () => {
  it('round-trips a body and refuses any changed, cut or foreign byte', async () => {
    const files = new SnapshotFiles(directory());
    const made = await files.create('docs', 'docs', (write) => {
      write(new Uint8Array([1, 2, 3]));
      write(new Uint8Array([4, 5]));
    });
    const source = files.source('docs', made.name);
    const file = sourceBytes(source);
    source.close();
    assert.equal(made.size, file.length);
    assert.equal(made.checksum, createHash('sha256').update(file).digest('hex'));
    assert.deepEqual(
      [...sourceBytes(await snapshotBody(bufferSource(file), made.checksum))],
      [1, 2, 3, 4, 5],
    );
    for (let i = 0; i < file.length; i++) {
      if (i >= 12 && i < 16) continue; // reserved
      const changed = Buffer.from(file);
      changed[i] = (changed[i] ?? 0) ^ 0x10;
      await assert.rejects(snapshotBody(bufferSource(changed)), invalid, `byte ${String(i)}`);
    }
    await assert.rejects(snapshotBody(bufferSource(file.subarray(0, file.length - 1))), invalid);
    await assert.rejects(
      snapshotBody(bufferSource(Buffer.from('not a snapshot at all, not at all'))),
      invalid,
    );
    await assert.rejects(
      snapshotBody(bufferSource(file), '0'.repeat(64)),
      /does not match the checksum given/,
    );
  });

  it('reads a format 1 file (the hash before the body)', async () => {
    const body = Buffer.from([9, 8, 7]);
    const file = Buffer.concat([
      Buffer.from('STRATASN', 'ascii'),
      Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]),
      createHash('sha256').update(body).digest(),
      body,
    ]);
    assert.deepEqual([...sourceBytes(await snapshotBody(bufferSource(file)))], [9, 8, 7]);
    file[file.length - 1] = 0;
    await assert.rejects(snapshotBody(bufferSource(file)), invalid);
  });

  it('accepts only plain .snapshot names', () => {
    assert.equal(
      checkSnapshotName('docs-2026-12-04-20-35-43-120.snapshot'),
      'docs-2026-12-04-20-35-43-120.snapshot',
    );
    for (const name of [
      '../x.snapshot',
      'a/b.snapshot',
      '.x.snapshot',
      'x..snapshot',
      'x.checksum',
      '',
      'x.snapshot\0',
    ]) {
      assert.throws(() => checkSnapshotName(name), invalid, name);
    }
  });

  it('locates file:// URLs inside its root only, as <collection>/<name>', async () => {
    const root = directory();
    const files = new SnapshotFiles(root);
    const made = await files.create('.acme.orders', 'orders', (write) => {
      write(new Uint8Array([1]));
    });
    assert.deepEqual(files.locate(files.location('.acme.orders', made.name)), {
      collection: '.acme.orders',
      name: made.name,
    });
    assert.deepEqual(files.locate(pathToFileURL(join(root, 'docs', 'a.snapshot')).href), {
      collection: 'docs',
      name: 'a.snapshot',
    });
    for (const location of [
      pathToFileURL(join(root, '..', 'collections.json')).href,
      pathToFileURL(join(root, 'docs', '..', '..', 'x.snapshot')).href,
      pathToFileURL(join(root, 'a', 'b', 'c.snapshot')).href,
      pathToFileURL(root).href,
      'https://example.com/a.snapshot',
      'file:///etc/passwd',
      'not a url',
    ]) {
      assert.throws(() => files.locate(location), invalid, location);
    }
    assert.deepEqual(
      (await files.list('.acme.orders')).map((s) => s.name),
      [made.name],
    );
  });
});
