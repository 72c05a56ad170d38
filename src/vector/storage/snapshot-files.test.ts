import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import {
  SnapshotFiles,
  checkSnapshotName,
  decodeSnapshotFile,
  encodeSnapshotFile,
} from './snapshot-files.js';
import { temporaryDirectory } from './test-support.js';

const directory = temporaryDirectory('snapshot-files');
const invalid = (error: unknown) => isStrataError(error) && error.code === 'INVALID_ARGUMENT';

describe('snapshot files', () => {
  it('round-trips a body and refuses any changed, cut or foreign byte', () => {
    const body = new Uint8Array([1, 2, 3, 4, 5]);
    const file = encodeSnapshotFile(body);
    assert.deepEqual(new Uint8Array(decodeSnapshotFile(file)), body);
    for (let i = 0; i < file.length; i++) {
      if (i >= 12 && i < 16) continue; // reserved
      const changed = Buffer.from(file);
      changed[i] = (changed[i] ?? 0) ^ 0x10;
      assert.throws(() => decodeSnapshotFile(changed), invalid, `byte ${String(i)}`);
    }
    assert.throws(() => decodeSnapshotFile(file.subarray(0, file.length - 1)), invalid);
    assert.throws(() => decodeSnapshotFile(Buffer.from('not a snapshot at all, not at all')), invalid);
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
    const made = await files.create('.acme.orders', 'orders', new Uint8Array([1]));
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
