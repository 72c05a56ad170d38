/**
 * HTTPS, gRPC over TLS, certificate reload without a restart, and client certificates (mTLS) as
 * identities, on a started platform with real handshakes against certificates made by openssl.
 */
import assert from 'node:assert/strict';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { credentials, status } from '@grpc/grpc-js';
import { createLogger, isStrataError } from '../src/kernel/index.js';
import { Platform, loadConfig } from '../src/platform/index.js';
import { createAuthority, type TestAuthority, type TestCertificate } from './support/certificates.js';
import { tempDataDir } from './support/platform.js';
import { call, healthCheck, inferenceStatus, openTls, servedFingerprint } from './support/tls-clients.js';

const pkiDir = tempDataDir('tls-pki');
let ca: TestAuthority;
let otherCa: TestAuthority;
let serverA: TestCertificate;
let serverB: TestCertificate;
let viewerClient: TestCertificate;
let strangerClient: TestCertificate;
let otherCaClient: TestCertificate;

before(() => {
  ca = createAuthority(pkiDir, 'strata-test-ca');
  otherCa = createAuthority(pkiDir, 'other-ca');
  serverA = ca.issue('server-a', 'strata-a', 'serverAuth');
  serverB = ca.issue('server-b', 'strata-b', 'serverAuth');
  viewerClient = ca.issue('viewer', 'reporting', 'clientAuth');
  strangerClient = ca.issue('stranger', 'stranger', 'clientAuth');
  otherCaClient = otherCa.issue('other-client', 'reporting', 'clientAuth');
});

interface Started {
  readonly platform: Platform;
  readonly url: string;
  readonly dataDir: string;
  readonly logs: Record<string, unknown>[];
}

/** A platform (vector target unless told) configured by a JSON file, its log lines kept for the test. */
async function startPlatform(
  name: string,
  config: Record<string, unknown>,
  target = 'vector',
): Promise<Started> {
  const dataDir = tempDataDir(name);
  const file = join(dataDir, 'strata.json');
  writeFileSync(file, JSON.stringify(config));
  const logs: Record<string, unknown>[] = [];
  const platform = await Platform.create({
    config: loadConfig({
      file,
      flags: { target, dataDir, 'server.httpPort': '0', 'server.grpcPort': '0' },
    }),
    logger: createLogger('debug', {
      write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    }),
  });
  await platform.start();
  return { platform, url: platform.server.httpUrl ?? '', dataDir, logs };
}

async function eventually(what: string, condition: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** Replaces a file by rename, as deployment tools do, so that no read sees it half written. */
function replace(path: string, bytes: Buffer | string): void {
  writeFileSync(`${path}.next`, bytes);
  renameSync(`${path}.next`, path);
}

function install(certificate: TestCertificate, certFile: string, keyFile: string): void {
  replace(keyFile, certificate.key);
  replace(certFile, certificate.cert);
}

const portOf = (url: string): number => Number(new URL(url).port);

/** The base64 body of a PEM key: what a leaked key would show in a log. */
const keyMaterial = (certificate: TestCertificate): string =>
  certificate.key.toString().split('\n').slice(1, 3).join('');

describe('HTTPS and certificate reload', () => {
  let started: Started;
  let certFile: string;
  let keyFile: string;

  before(async () => {
    const live = tempDataDir('tls-live');
    certFile = join(live, 'server.crt');
    keyFile = join(live, 'server.key');
    install(serverA, certFile, keyFile);
    started = await startPlatform('tls-https', {
      server: { tls: { certFile, keyFile, reloadIntervalMs: 100 } },
      security: { auth: { enabled: false } },
    });
  });
  after(async () => {
    await started.platform.shutdown();
  });

  it('serves HTTPS with the configured certificate to clients that trust its CA, and no plain HTTP', async () => {
    assert.match(started.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    const answer = await call(started.url, '/healthz', { ca });
    assert.equal(answer.status, 200);
    assert.equal(answer.fingerprint256, serverA.fingerprint256);
    // Only over HTTPS: browsers ignore it on plain HTTP (RFC 6797 §8.1).
    assert.equal(answer.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
    await assert.rejects(call(started.url, '/healthz'), /self[- ]signed|unable to (get|verify)/i);
    await assert.rejects(fetch(started.url.replace('https:', 'http:') + '/healthz'));
  });

  it('answers gRPC over TLS with the same certificate, and no plaintext gRPC', async () => {
    const port = started.platform.server.grpc.port ?? 0;
    assert.ok(await healthCheck(port, credentials.createSsl(ca.cert)));
    assert.equal(await servedFingerprint(port, ca, 'h2'), serverA.fingerprint256);
    await assert.rejects(healthCheck(port, credentials.createInsecure()));
  });

  it('serves a replaced certificate to new connections on both listeners; open connections keep theirs', async () => {
    const open = await openTls(portOf(started.url), ca);
    install(serverB, certFile, keyFile);
    await eventually(
      'HTTPS serves the new certificate',
      async () => (await call(started.url, '/healthz', { ca })).fingerprint256 === serverB.fingerprint256,
    );
    const grpcPort = started.platform.server.grpc.port ?? 0;
    await eventually(
      'gRPC serves the new certificate',
      async () => (await servedFingerprint(grpcPort, ca, 'h2')) === serverB.fingerprint256,
    );
    assert.ok(
      started.logs.some((line) => line['msg'] === 'TLS certificate reloaded; new connections get it'),
    );

    assert.equal(open.getPeerCertificate().fingerprint256, serverA.fingerprint256);
    const reply = new Promise<string>((resolve) => {
      open.once('data', (chunk: Buffer) => {
        resolve(chunk.toString());
      });
    });
    open.write('GET /healthz HTTP/1.1\r\nhost: localhost\r\nconnection: close\r\n\r\n');
    assert.match(await reply, /^HTTP\/1\.1 200/, 'the connection made before the reload still answers');
    open.destroy();
  });

  it('keeps serving the current certificate when a replacement does not load, and logs the file', async () => {
    const current = (await call(started.url, '/healthz', { ca })).fingerprint256;
    const failures = () =>
      started.logs.filter((line) => line['msg']?.toString().startsWith('TLS certificate reload failed'));
    const before = failures().length;

    replace(keyFile, 'not a key\n');
    await eventually('the broken key is logged', () => failures().length > before);
    assert.equal(failures().at(-1)?.['file'], keyFile);
    assert.equal((await call(started.url, '/healthz', { ca })).fingerprint256, current);

    replace(keyFile, serverA.key); // serverA's key beside serverB's certificate
    await eventually('the mismatched key is logged', () => failures().length > before + 1);
    assert.match(JSON.stringify(failures().at(-1)), /is not the private key of server\.tls\.certFile/);
    assert.equal((await call(started.url, '/healthz', { ca })).fingerprint256, current);
    await sleep(300);
    assert.equal(failures().length, before + 2, 'the same broken files are reported once');

    install(serverA, certFile, keyFile);
    await eventually(
      'a good replacement loads again',
      async () => (await call(started.url, '/healthz', { ca })).fingerprint256 === serverA.fingerprint256,
    );
    const text = JSON.stringify(started.logs);
    for (const certificate of [serverA, serverB]) {
      assert.ok(!text.includes(keyMaterial(certificate)), 'no private key reaches the log');
    }
  });
});

describe('mutual TLS', () => {
  const mapped = [{ commonName: 'reporting', tenant: 'default', roles: ['viewer'] }];

  describe("clientCertificates 'require'", () => {
    let started: Started;
    before(async () => {
      started = await startPlatform('tls-require', {
        server: {
          probePort: 0,
          tls: {
            certFile: serverA.certFile,
            keyFile: serverA.keyFile,
            caFile: ca.certFile,
            clientCertificates: 'require',
          },
        },
        security: { identity: { certificates: mapped } },
      });
    });
    after(async () => {
      await started.platform.shutdown();
    });

    it('refuses the handshake without a client certificate, or with one another CA signed', async () => {
      await assert.rejects(call(started.url, '/healthz', { ca }));
      await assert.rejects(call(started.url, '/healthz', { ca, client: otherCaClient }));
      const port = started.platform.server.grpc.port ?? 0;
      await assert.rejects(healthCheck(port, credentials.createSsl(ca.cert)));
      assert.ok(await healthCheck(port, credentials.createSsl(ca.cert, viewerClient.key, viewerClient.cert)));
    });

    it('answers probes and scrapers without a certificate on the probe port, and nothing else there', async () => {
      const probes = started.platform.server.probeUrl;
      assert.ok(probes?.startsWith('http://'), String(probes));
      const ready = await fetch(`${probes}/readyz`);
      assert.equal(ready.status, 200, await ready.clone().text());
      assert.equal(((await ready.json()) as { status: string }).status, 'ready');
      assert.equal((await fetch(`${probes}/healthz`)).status, 200);
      const metrics = await fetch(`${probes}/metrics`);
      assert.equal(metrics.status, 200);
      assert.match(await metrics.text(), /^# HELP /m);
      for (const path of ['/collections', '/v2/health/ready', '/openapi.json', '/admin/keys']) {
        assert.equal((await fetch(`${probes}${path}`)).status, 404, path);
      }
    });

    it('takes a mapped certificate as the identity, with the roles of its entry', async () => {
      const list = await call(started.url, '/collections', { ca, client: viewerClient });
      assert.equal(list.status, 200, list.body);
      const create = await call(started.url, '/collections/docs', {
        method: 'PUT',
        ca,
        client: viewerClient,
        body: { vectors: { size: 2, distance: 'Dot' } },
      });
      assert.equal(create.status, 403, create.body);
      assert.match(create.body, /PERMISSION_DENIED/);
    });
  });

  describe("clientCertificates 'request'", () => {
    let started: Started;
    let admin: string;
    before(async () => {
      started = await startPlatform(
        'tls-request',
        {
          server: {
            tls: {
              certFile: serverA.certFile,
              keyFile: serverA.keyFile,
              caFile: ca.certFile,
              clientCertificates: 'request',
            },
          },
          security: { identity: { certificates: mapped } },
        },
        'vector,serving',
      );
      admin = readFileSync(join(started.dataDir, 'admin.key'), 'utf8').trim();
    });
    after(async () => {
      await started.platform.shutdown();
    });

    it('lets clients without a certificate in with an API key, and refuses them without', async () => {
      assert.equal((await call(started.url, '/collections', { ca, apiKey: admin })).status, 200);
      const refused = await call(started.url, '/admin/keys', { ca });
      assert.equal(refused.status, 401);
      assert.equal((JSON.parse(refused.body) as { details: { reason: string } }).details.reason, 'missing');
    });

    it('refuses a verified certificate that maps to no identity: 401 unknown_certificate', async () => {
      const refused = await call(started.url, '/admin/keys', { ca, client: strangerClient });
      assert.equal(refused.status, 401);
      const problem = JSON.parse(refused.body) as {
        code: string;
        detail: string;
        details: { reason: string };
      };
      assert.equal(problem.code, 'UNAUTHENTICATED');
      assert.equal(problem.details.reason, 'unknown_certificate');
      assert.match(problem.detail, /CN=stranger/);
    });

    it('prefers an API key sent with the request over the connection certificate', async () => {
      assert.equal((await call(started.url, '/collections', { ca, client: viewerClient })).status, 200);
      const create = await call(started.url, '/collections/docs', {
        method: 'PUT',
        ca,
        client: viewerClient,
        apiKey: admin,
        body: { vectors: { size: 2, distance: 'Dot' } },
      });
      assert.equal(create.status, 200, create.body);
    });

    it('takes the same identities on gRPC: a verified certificate, metadata before it, nothing else', async () => {
      const port = started.platform.server.grpc.port ?? 0;
      const as = (client?: TestCertificate) =>
        client === undefined
          ? credentials.createSsl(ca.cert)
          : credentials.createSsl(ca.cert, client.key, client.cert);
      const index = (client?: TestCertificate) => inferenceStatus(port, as(client), 'RepositoryIndex', {});
      const load = { model_name: 'nope' };
      assert.equal(await index(viewerClient), status.OK);
      assert.equal(
        await inferenceStatus(port, as(viewerClient), 'RepositoryModelLoad', load),
        status.PERMISSION_DENIED,
      );
      const asAdmin = { authorization: `Bearer ${admin}` };
      assert.equal(
        await inferenceStatus(port, as(viewerClient), 'RepositoryModelLoad', load, asAdmin),
        status.NOT_FOUND,
      );
      assert.equal(await index(strangerClient), status.UNAUTHENTICATED);
      assert.equal(await index(otherCaClient), status.UNAUTHENTICATED);
      assert.equal(await index(), status.UNAUTHENTICATED);
    });

    it('ignores a certificate another CA signed: it proves nothing', async () => {
      const refused = await call(started.url, '/admin/keys', { ca, client: otherCaClient });
      assert.equal(refused.status, 401);
      assert.equal((JSON.parse(refused.body) as { details: { reason: string } }).details.reason, 'missing');
      assert.equal(
        (await call(started.url, '/collections', { ca, client: otherCaClient, apiKey: admin })).status,
        200,
      );
    });
  });
});

describe('TLS configuration', () => {
  async function refusal(name: string, tls: Record<string, unknown>): Promise<string> {
    try {
      const started = await startPlatform(name, { server: { tls } });
      await started.platform.shutdown();
    } catch (error) {
      assert.ok(isStrataError(error));
      assert.equal(error.code, 'CONFIG_INVALID');
      return error.message;
    }
    assert.fail('expected the TLS configuration to be refused');
  }

  it('refuses client certificates without a CA bundle to verify them, naming the setting', async () => {
    const message = await refusal('tls-no-ca', {
      certFile: serverA.certFile,
      keyFile: serverA.keyFile,
      clientCertificates: 'require',
    });
    assert.match(message, /server\.tls\.clientCertificates is 'require' but server\.tls\.caFile is not set/);
  });

  it('refuses a key that does not belong to the certificate, naming the file', async () => {
    const message = await refusal('tls-mismatch', { certFile: serverA.certFile, keyFile: serverB.keyFile });
    assert.ok(message.includes(`server.tls.keyFile ${serverB.keyFile} is not the private key`), message);
  });

  it('refuses a certificate without its key', async () => {
    await assert.rejects(
      startPlatform('tls-half', { server: { tls: { certFile: serverA.certFile } } }),
      /server\.tls: must have required property 'keyFile'/,
    );
  });
});
