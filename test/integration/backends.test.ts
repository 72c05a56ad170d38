/**
 * The real backends later modules build on are reachable: PostgreSQL, Redis and NATS with JetStream.
 * Each check does a real round trip, not just a TCP connect.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connect as connectNats } from 'nats';
import pg from 'pg';
import { loadConfig } from '../../src/platform/index.js';
import { connectRedis, requireBackend } from '../support/backends.js';

const { backends } = loadConfig({ env: process.env });

describe('backends', () => {
  it('PostgreSQL answers a query', async (t) => {
    const client = new pg.Client({ connectionString: backends.postgres.url, connectionTimeoutMillis: 3000 });
    try {
      await client.connect();
    } catch (error) {
      requireBackend(t, 'PostgreSQL', backends.postgres.url, error);
      return;
    }
    try {
      const result = await client.query<{ answer: number }>('SELECT 41 + 1 AS answer');
      assert.equal(result.rows[0]?.answer, 42);
    } finally {
      await client.end();
    }
  });

  it('Redis answers PING', async (t) => {
    const client = await connectRedis(t, backends.redis.url);
    if (client === undefined) return;
    try {
      assert.equal(await client.ping(), 'PONG');
    } finally {
      client.disconnect();
    }
  });

  it('NATS answers with JetStream enabled', async (t) => {
    let connection;
    try {
      connection = await connectNats({ servers: backends.nats.url, timeout: 3000, reconnect: false });
    } catch (error) {
      requireBackend(t, 'NATS', backends.nats.url, error);
      return;
    }
    try {
      const info = await (await connection.jetstreamManager()).getAccountInfo();
      assert.equal(typeof info.limits.max_streams, 'number', 'JetStream answers with account limits');
    } finally {
      await connection.close();
    }
  });
});
