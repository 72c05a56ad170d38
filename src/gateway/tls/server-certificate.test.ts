import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  createAuthority,
  type TestAuthority,
  type TestCertificate,
} from '../../../test/support/certificates.js';
import { tempDataDir } from '../../../test/support/platform.js';
import { isStrataError } from '../../kernel/index.js';
import type { TlsConfig } from '../config.js';
import { readTlsFiles, toServerCertificate } from './server-certificate.js';

describe('server certificate files', () => {
  const dir = tempDataDir('tls-files');
  const garbage = join(dir, 'garbage.pem');
  let ca: TestAuthority;
  let server: TestCertificate;
  let otherServer: TestCertificate;

  before(() => {
    writeFileSync(garbage, 'not PEM at all\n');
    ca = createAuthority(dir, 'files-ca');
    server = ca.issue('files-server', 'files-server', 'serverAuth');
    otherServer = ca.issue('files-other', 'files-other', 'serverAuth');
  });

  const config = (files: Partial<TlsConfig>): TlsConfig => ({
    certFile: server.certFile,
    keyFile: server.keyFile,
    caFile: ca.certFile,
    clientCertificates: 'none',
    reloadIntervalMs: 0,
    ...files,
  });

  async function problem(files: Partial<TlsConfig>): Promise<{ message: string; file: unknown }> {
    const tls = config(files);
    try {
      toServerCertificate(tls, await readTlsFiles(tls));
    } catch (error) {
      assert.ok(isStrataError(error));
      assert.equal(error.code, 'CONFIG_INVALID');
      return { message: error.message, file: error.details?.['file'] };
    }
    assert.fail('expected the files to be refused');
  }

  it('loads a certificate, its key and a CA bundle, with what logs may show', async () => {
    const certificate = toServerCertificate(config({}), await readTlsFiles(config({})));
    assert.equal(certificate.fingerprint256, server.fingerprint256);
    assert.equal(certificate.subject, 'CN=files-server');
    assert.ok(certificate.ca?.equals(ca.cert));
  });

  it('names the file to fix: unreadable, not a certificate, not a key, not the matching key, not a CA', async () => {
    const missing = join(dir, 'missing.pem');
    assert.deepEqual(await problem({ certFile: missing }), {
      message: `server.tls.certFile ${missing} cannot be read: ENOENT: no such file or directory, open '${missing}'`,
      file: missing,
    });
    const cert = await problem({ certFile: garbage });
    assert.match(cert.message, /^server\.tls\.certFile .* does not hold a PEM certificate/);
    assert.equal(cert.file, garbage);
    const key = await problem({ keyFile: garbage });
    assert.match(key.message, /^server\.tls\.keyFile .* does not hold an unencrypted PEM private key/);
    const mismatch = await problem({ keyFile: otherServer.keyFile });
    assert.equal(
      mismatch.message,
      `server.tls.keyFile ${otherServer.keyFile} is not the private key of server.tls.certFile ${server.certFile}`,
    );
    assert.equal((await problem({ caFile: garbage })).file, garbage);
  });
});
