import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiKeyStoreConformance } from './api-key-store-conformance.js';
import { FileApiKeyStore } from './file-api-key-store.js';

let root: string;
let count = 0;
const directory = () => join(root, `store-${++count}`);

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'strata-api-keys-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

apiKeyStoreConformance('FileApiKeyStore', () => {
  const dir = directory();
  return Promise.resolve({
    open: (options) => FileApiKeyStore.open(dir, options),
    persisted: () => readFile(join(dir, FileApiKeyStore.fileName), 'utf8'),
  });
});

describe('FileApiKeyStore', () => {
  it('keeps the keys in a file only its owner can read', async (t) => {
    if (process.platform === 'win32') {
      t.skip('no POSIX modes');
      return;
    }
    const store = await FileApiKeyStore.open(directory());
    await store.create({ tenant: 'acme', name: 'ci', roles: ['viewer'] });
    assert.equal((await stat(store.path)).mode & 0o777, 0o600);
  });

  it('refuses to open a corrupt file, naming it', async () => {
    const dir = directory();
    const store = await FileApiKeyStore.open(dir);
    await writeFile(store.path, '{"version":1,"keys":[');
    await assert.rejects(FileApiKeyStore.open(dir), { code: 'INTERNAL', message: new RegExp(store.path) });
  });
});
