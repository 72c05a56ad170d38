/** Graceful shutdown: a request in flight when SIGTERM arrives still completes, then the process exits 0. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../src/kernel/index.js';
import { Child } from './support/cli.js';

const fixture = join(packageRoot(), 'dist', 'test', 'fixtures', 'slow-route-server.js');

describe('graceful drain', () => {
  it('completes the in-flight request after SIGTERM and exits 0', async () => {
    const child = new Child(fixture, [mkdtempSync(join(tmpdir(), 'strata-drain-')), '10000']);
    const url = await child.httpUrl();
    await child.waitForLog(/^Strata is ready$/);

    const inFlight = fetch(`${url}/test/slow?ms=1500`);
    await child.waitForLog(/^request completed$/, 100).catch(() => undefined); // nothing has completed yet
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.process.kill('SIGTERM');

    const response = await inFlight;
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { sleptMs: 1500 });
    const result = await child.exited();
    assert.equal(result.code, 0, result.stderr);

    const messages = child.logLines().map((line) => line['msg']);
    const shutdownAt = messages.indexOf('shutting down: draining in-flight requests');
    const completedAt = messages.findIndex((msg, index) => msg === 'request completed' && index > shutdownAt);
    assert.ok(shutdownAt !== -1 && completedAt > shutdownAt, 'the slow request completed after the signal');
    assert.ok(messages.includes('Strata stopped'));
  });

  it('cuts requests still in flight when the grace period expires, and exits 1', async () => {
    const child = new Child(fixture, [mkdtempSync(join(tmpdir(), 'strata-drain-')), '200']);
    const url = await child.httpUrl();
    await child.waitForLog(/^Strata is ready$/);

    const inFlight = fetch(`${url}/test/slow?ms=20000`).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const signalledAt = Date.now();
    child.process.kill('SIGTERM');
    assert.equal(await inFlight, 'cut');
    const result = await child.exited();
    assert.equal(result.code, 1);
    assert.ok(Date.now() - signalledAt < 5000, 'exited soon after the grace period');
  });
});
