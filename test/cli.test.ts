/** The `strata` command as a user runs it: a real child process per case. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../src/kernel/index.js';
import { Child, cliPath, runCli } from './support/cli.js';

const version = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string })
  .version;
const tempDir = (): string => mkdtempSync(join(tmpdir(), 'strata-cli-'));

describe('strata CLI', () => {
  it('prints its version', async () => {
    const result = await runCli(['version']);
    assert.equal(result.code, 0);
    assert.equal(result.stdout, `${version}\n`);
  });

  it('has --help on every command', async () => {
    for (const args of [
      ['--help'],
      ['start', '--help'],
      ['config', '--help'],
      ['config', 'print', '--help'],
    ]) {
      const result = await runCli(args);
      assert.equal(result.code, 0, args.join(' '));
      assert.match(result.stdout, /Usage: strata/);
    }
    const start = await runCli(['start', '--help']);
    for (const flag of ['--target', '--config', '--data-dir', '--set'])
      assert.ok(start.stdout.includes(flag), flag);
  });

  it('config print shows the effective configuration with secrets redacted', async () => {
    const dir = tempDir();
    const file = join(dir, 'strata.yaml');
    writeFileSync(file, 'server:\n  httpPort: 9000\n');
    const result = await runCli(
      [
        'config',
        'print',
        '--format',
        'json',
        '--config',
        file,
        '--target',
        'vector',
        '--set',
        'logging.level=debug',
      ],
      { STRATA_BACKENDS_REDIS_URL: 'redis://default:topsecret@cache:6379', STRATA_SERVER_GRPC_PORT: '9001' },
    );
    assert.equal(result.code, 0, result.stderr);
    const printed = JSON.parse(result.stdout) as {
      target: string[];
      server: { httpPort: number; grpcPort: number };
      logging: { level: string };
      backends: { redis: { url: string } };
    };
    assert.deepEqual(printed.target, ['vector']);
    assert.equal(printed.server.httpPort, 9000);
    assert.equal(printed.server.grpcPort, 9001);
    assert.equal(printed.logging.level, 'debug');
    assert.equal(printed.backends.redis.url, 'redis://default:***@cache:6379');
    assert.ok(!result.stdout.includes('topsecret'));
  });

  it('config print defaults to YAML', async () => {
    const result = await runCli(['config', 'print']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^target:\n {2}- all\n/m);
    assert.match(result.stdout, /httpPort: 8080/);
  });

  it('rejects bad configuration with exit code 2 and every problem named', async () => {
    const result = await runCli(['start', '--set', 'server.httpPort=-1', '--target', 'vectr'], {
      STRATA_LOGGING_LEVL: 'info',
    });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /STRATA_LOGGING_LEVL: matches no configuration key; did you mean STRATA_LOGGING_LEVEL\?/,
    );
    assert.match(result.stderr, /server\.httpPort: must be >= 0 \(from flags\)/);
    assert.match(result.stderr, /target\.0: must be one of "all", "gateway"/);
  });

  it('rejects a malformed --set with exit code 2', async () => {
    const result = await runCli(['config', 'print', '--set', 'server.httpPort']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--set expects key=value/);
  });

  it('exits 1 naming the module and the cause when a module cannot start', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as AddressInfo;
    try {
      const result = await runCli([
        'start',
        '--data-dir',
        tempDir(),
        '--set',
        `server.httpPort=${port}`,
        '--set',
        'server.grpcPort=0',
      ]);
      assert.equal(result.code, 1);
      assert.match(result.stderr, /^strata: module server failed to start: .*EADDRINUSE/m);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('starts, serves, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDir();
    const child = new Child(cliPath, [
      'start',
      '--data-dir',
      dataDir,
      '--set',
      'server.httpPort=0',
      '--set',
      'server.grpcPort=0',
    ]);
    const url = await child.httpUrl();
    await child.waitForLog(/^Strata is ready$/);
    assert.equal((await fetch(`${url}/readyz`)).status, 200);
    // Safe defaults: authentication is on, and the first start left an admin key readable only
    // by this user, said where it is, and never logged the key itself.
    const keyFile = join(dataDir, 'admin.key');
    const key = (await readFile(keyFile, 'utf8')).trim();
    assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
    assert.equal((await fetch(`${url}/collections`)).status, 401);
    const listed = await fetch(`${url}/collections`, { headers: { authorization: `Bearer ${key}` } });
    assert.equal(listed.status, 200, await listed.clone().text());
    const announced = await child.waitForLog(/admin API key/);
    assert.equal(announced['path'], keyFile);
    assert.ok(
      !child.stdout.includes(key) && !child.stderr.includes(key),
      'the admin key appears in the output',
    );
    child.process.kill('SIGTERM');
    const result = await child.exited();
    assert.equal(result.code, 0, result.stderr);
    assert.ok(child.logLines().some((line) => line['msg'] === 'Strata stopped' && line['clean'] === true));
  });
});
