import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Client, credentials, status as GrpcStatus } from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createLogger } from '../kernel/index.js';
import { createMetricsRegistry } from '../observability/index.js';
import { EdgeServer } from './server.js';
import { grpcMethod, reflectedServices, unaryCall } from '../../test/support/grpc.js';
import { testServerConfig } from '../../test/support/server-config.js';

const config = testServerConfig({ bodyLimitBytes: 1024 * 1024, grpcMaxMessageBytes: 1024 * 1024 });

// The reflection service's own proto, as shipped by @grpc/reflection (no exports map: a plain path).

interface LogLine {
  readonly level: number;
  readonly msg: string;
}

async function createEdgeServer(log: LogLine[] = []): Promise<EdgeServer> {
  return EdgeServer.create({
    config,
    logger: createLogger('info', {
      write(line: string) {
        log.push(JSON.parse(line) as LogLine);
      },
    }),
    registry: createMetricsRegistry(),
    readiness: () => [],
    version: '0.0.0-test',
  });
}

function grpcClient(edge: EdgeServer): Client {
  assert.ok(edge.grpc.port !== undefined, 'gRPC is bound');
  return new Client(`127.0.0.1:${edge.grpc.port}`, credentials.createInsecure());
}

/** A route handler's way to say that its request has arrived. */
function signal(): { readonly reached: Promise<void>; readonly reach: () => void } {
  let reach = (): void => undefined;
  const reached = new Promise<void>((resolve) => {
    reach = resolve;
  });
  return { reached, reach };
}

describe('EdgeServer', () => {
  describe('listening', () => {
    let edge: EdgeServer;
    let client: Client;
    before(async () => {
      edge = await createEdgeServer();
      assert.equal(edge.httpUrl, undefined, 'no URL before start');
      await edge.start();
      client = grpcClient(edge);
    });
    after(async () => {
      client.close();
      await edge.stop();
    });

    it('binds HTTP on the configured host and a free port', async () => {
      const url = edge.httpUrl;
      assert.ok(url !== undefined);
      assert.match(url, /^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
      const response = await fetch(`${url}/healthz`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { status: 'ok' });
      assert.equal(edge.probeUrl, undefined, 'no probe listener unless server.probePort is set');
    });

    it('answers grpc.health.v1 for the whole server with the serving state', async () => {
      const check = grpcMethod(healthProtoPath, 'grpc.health.v1.Health', 'Check');
      edge.grpc.setServing(true);
      assert.deepEqual(await unaryCall(client, check, { service: '' }), { status: 'SERVING' });
      edge.grpc.setServing(false);
      assert.deepEqual(await unaryCall(client, check, { service: '' }), { status: 'NOT_SERVING' });
    });

    it('answers grpc.health.v1 for an unknown service with NOT_FOUND', async () => {
      const check = grpcMethod(healthProtoPath, 'grpc.health.v1.Health', 'Check');
      await assert.rejects(unaryCall(client, check, { service: 'no.such.Service' }), {
        code: GrpcStatus.NOT_FOUND,
      });
    });

    it('lists the health service through server reflection', async () => {
      const services = await reflectedServices(client);
      assert.ok(services.includes('grpc.health.v1.Health'), services.join(', '));
    });
  });

  describe('drain', () => {
    it('lets an in-flight request finish, then refuses new connections', async () => {
      const edge = await createEdgeServer();
      const slow = signal();
      edge.http.get('/slow', async () => {
        slow.reach();
        await sleep(300);
        return { finished: true };
      });
      await edge.start();
      const url = edge.httpUrl;
      assert.ok(url !== undefined);

      const inFlight = fetch(`${url}/slow`);
      await slow.reached;
      const started = performance.now();
      const draining = edge.drain(5000);
      const response = await inFlight;
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), { finished: true });
      assert.deepEqual(await draining, { complete: true });
      // Regression: the drain used to wait for the client's keep-alive connection to idle out
      // (Node's 5 s keepAliveTimeout) after the request had been answered.
      assert.ok(performance.now() - started < 2000, 'drained once the request was answered');

      await assert.rejects(fetch(`${url}/healthz`), (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.equal((error.cause as { code?: string } | undefined)?.code, 'ECONNREFUSED');
        return true;
      });
    });

    it('closes connections with requests still in flight when the grace period expires', async (t) => {
      const log: LogLine[] = [];
      const edge = await createEdgeServer(log);
      const stuck = signal();
      const release = new AbortController();
      t.after(() => {
        release.abort();
      });
      edge.http.get('/stuck', async () => {
        stuck.reach();
        await sleep(10_000, undefined, { signal: release.signal });
        return { finished: true };
      });
      await edge.start();
      const url = edge.httpUrl;
      assert.ok(url !== undefined);

      const inFlight = fetch(`${url}/stuck`);
      await stuck.reached;
      const started = performance.now();
      assert.deepEqual(await edge.drain(100), { complete: false });
      assert.ok(performance.now() - started < 2000, 'drain returned soon after the grace period');
      await assert.rejects(inFlight, (error: unknown) => {
        assert.ok(error instanceof TypeError, 'fetch failed: the socket was closed');
        return true;
      });
      assert.ok(log.some((line) => line.level === 40 && line.msg.startsWith('grace period expired')));
    });
  });
});
