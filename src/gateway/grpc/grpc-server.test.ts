import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Client, credentials } from '@grpc/grpc-js';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { createLogger } from '../../kernel/index.js';
import { GrpcEdge } from './grpc-server.js';
import { grpcMethod, unaryCall } from '../../../test/support/grpc.js';
import { testServerConfig } from '../../../test/support/server-config.js';

const config = testServerConfig({ bodyLimitBytes: 1024, grpcMaxMessageBytes: 1024 * 1024 });

const check = grpcMethod(healthProtoPath, 'grpc.health.v1.Health', 'Check');

describe('GrpcEdge health', () => {
  const edge = new GrpcEdge(config, createLogger('silent'));
  let client: Client;

  async function statusOf(service: string): Promise<string> {
    const { status } = (await unaryCall(client, check, { service })) as { status: string };
    return status;
  }

  before(async () => {
    edge.addHealthService('strata.test.v1.Early');
    await edge.start();
    client = new Client(`127.0.0.1:${edge.port ?? 0}`, credentials.createInsecure());
  });

  after(async () => {
    client.close();
    await edge.shutdown();
  });

  it('reports each registered service as the whole server, following readiness', async () => {
    assert.equal(await statusOf('strata.test.v1.Early'), 'NOT_SERVING');
    edge.setServing(true);
    // A service added while serving starts as serving.
    edge.addHealthService('strata.test.v1.Late');
    for (const service of ['', 'strata.test.v1.Early', 'strata.test.v1.Late']) {
      assert.equal(await statusOf(service), 'SERVING', service);
    }
    edge.setServing(false);
    for (const service of ['', 'strata.test.v1.Early', 'strata.test.v1.Late']) {
      assert.equal(await statusOf(service), 'NOT_SERVING', service);
    }
  });
});
