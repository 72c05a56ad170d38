import type { TestContext } from 'node:test';
import { Redis } from 'ioredis';
import pg from 'pg';
import { loadConfig } from '../../src/platform/index.js';

/**
 * Tests of real backends (PostgreSQL, Redis, NATS) run against the services on this machine.
 * Under CI (`CI=true`) a missing service fails the test, naming it; on a developer's machine
 * without the service the test is skipped with a message that says how to provide it.
 */
export function requireBackend(t: TestContext, name: string, url: string, cause: unknown): void {
  const reason = cause instanceof Error ? cause.message : String(cause);
  const message = `${name} is not reachable at ${url} (${reason})`;
  if (process.env['CI'] === 'true') throw new Error(`${message}; CI requires it`);
  t.skip(`${message}; start it or set the STRATA_BACKENDS_* URL to run this test`);
}

/** The backend URLs as Strata would configure them here (`STRATA_BACKENDS_*` or the defaults). */
export function backendUrls(): { postgres: string; redis: string; nats: string } {
  const { backends } = loadConfig({ env: process.env });
  return { postgres: backends.postgres.url, redis: backends.redis.url, nats: backends.nats.url };
}

/**
 * A connected Redis client that gives up at once instead of retrying, or undefined when Redis is
 * unreachable and requireBackend skipped the test (under CI it fails instead).
 */
export async function connectRedis(t: TestContext, url: string): Promise<Redis | undefined> {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: 3000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  // ioredis reports the socket error as an event and rejects connect() with a vaguer one.
  let socketError: unknown;
  client.on('error', (error: unknown) => (socketError = error));
  try {
    await client.connect();
    return client;
  } catch (error) {
    client.disconnect();
    requireBackend(t, 'Redis', url, socketError ?? error);
    return undefined;
  }
}

/**
 * A PostgreSQL pool, and why the server could not be reached (undefined when it answered): a test
 * hands that reason to requireBackend.
 */
export async function openPostgres(
  url: string,
  max: number,
): Promise<{ pool: pg.Pool; unreachable: unknown }> {
  const pool = new pg.Pool({ connectionString: url, connectionTimeoutMillis: 3000, max });
  pool.on('error', () => undefined);
  try {
    await pool.query('SELECT 1');
    return { pool, unreachable: undefined };
  } catch (error) {
    return { pool, unreachable: error ?? new Error('unreachable') };
  }
}
