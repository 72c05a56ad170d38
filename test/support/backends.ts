import type { TestContext } from 'node:test';

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
