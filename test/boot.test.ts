/**
 * Boot test for every deployment target (after mimir's modules_test.go): the platform starts with
 * exactly the target's modules, /readyz answers 200 naming them all running, and it stops cleanly.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger, isStrataError } from '../src/kernel/index.js';
import {
  Platform,
  loadConfig,
  moduleDependencies,
  targetNames,
  type TargetName,
} from '../src/platform/index.js';

function configFor(
  targets: readonly TargetName[],
  dataDir: string,
  httpPort = 0,
  settings: Readonly<Record<string, string>> = {},
) {
  return loadConfig({
    flags: {
      target: targets.join(','),
      dataDir,
      'server.httpPort': String(httpPort),
      'server.grpcPort': '0',
      'logging.level': 'silent',
      ...settings,
    },
  });
}

/** A target's modules: itself and everything it depends on, minus group modules. */
function modulesOf(target: TargetName): string[] {
  const found = new Set<string>();
  const visit = (name: keyof typeof moduleDependencies): void => {
    if (found.has(name)) return;
    found.add(name);
    for (const dep of moduleDependencies[name]) visit(dep);
  };
  visit(target);
  found.delete('all');
  return [...found].sort();
}

describe('boot', () => {
  for (const target of targetNames) {
    it(`target ${target} starts, is ready, and stops cleanly`, async () => {
      const dataDir = mkdtempSync(join(tmpdir(), `strata-boot-${target}-`));
      const platform = await Platform.create({
        config: configFor([target], dataDir),
        logger: createLogger('silent'),
      });
      await platform.start();
      try {
        const url = platform.server.httpUrl;
        assert.ok(url !== undefined);
        const response = await fetch(`${url}/readyz`);
        assert.equal(response.status, 200);
        const body = (await response.json()) as { status: string; modules: Record<string, string> };
        assert.equal(body.status, 'ready');
        assert.deepEqual(Object.keys(body.modules).sort(), modulesOf(target));
        assert.ok(Object.values(body.modules).every((state) => state === 'running'));
      } finally {
        const result = await platform.shutdown();
        assert.deepEqual(result, { clean: true });
      }
      assert.ok(platform.modules.every((module) => module.state === 'terminated'));
    });
  }

  it('runs several targets in one process', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strata-boot-multi-'));
    const platform = await Platform.create({
      config: configFor(['vector', 'serving'], dataDir),
      logger: createLogger('silent'),
    });
    await platform.start();
    assert.deepEqual(
      platform.modules.map((module) => module.name),
      ['observability', 'security', 'server', 'vector', 'serving'],
    );
    assert.deepEqual(await platform.shutdown(), { clean: true });
  });

  it('a module that fails to start stops the ones already started and names itself and the cause', async () => {
    const notADirectory = join(mkdtempSync(join(tmpdir(), 'strata-boot-fail-')), 'file');
    writeFileSync(notADirectory, 'not a directory');
    const httpPort = await freePort();
    const platform = await Platform.create({
      // Security would fail first on the same directory; with authentication off it writes no files.
      config: configFor(['vector'], notADirectory, httpPort, { 'security.auth.enabled': 'false' }),
      logger: createLogger('silent'),
    });
    await assert.rejects(platform.start(), (error: unknown) => {
      assert.ok(isStrataError(error));
      assert.equal(error.code, 'MODULE_START_FAILED');
      assert.match(error.message, /^module vector failed to start: .*(ENOTDIR|EEXIST)/);
      assert.deepEqual(error.details, { module: 'vector' });
      return true;
    });
    const states = Object.fromEntries(platform.modules.map((module) => [module.name, module.state]));
    assert.deepEqual(states, {
      observability: 'terminated',
      security: 'terminated',
      server: 'terminated',
      vector: 'failed',
    });
    assert.equal(await accepts(httpPort), false, 'the HTTP listener was closed');
  });
});

/** A port that was free a moment ago (the server module binds it during start). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(false);
    });
  });
}
