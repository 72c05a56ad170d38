import type { AuditEntry, AuditLog } from './record.js';

/**
 * Several audit logs as one, e.g. the local file and a PostgreSQL table. Each entry is handed to
 * every log at once, in the order given, so each stores the entries in the same call order (each
 * chains them itself). `record` resolves when all have stored it and rejects with the first
 * failure in that order: a caller that must not act unaudited sees any sink failing.
 */
export class CompositeAuditLog implements AuditLog {
  constructor(private readonly logs: readonly AuditLog[]) {}

  async record(entry: AuditEntry): Promise<void> {
    throwFirst(await Promise.allSettled(this.logs.map((log) => log.record(entry))));
  }

  /** Closes every log, in order, even when one fails; then rejects with the first failure. */
  async close(): Promise<void> {
    const results: PromiseSettledResult<void>[] = [];
    for (const log of this.logs) results.push(...(await Promise.allSettled([log.close()])));
    throwFirst(results);
  }
}

function throwFirst(results: readonly PromiseSettledResult<void>[]): void {
  for (const result of results) if (result.status === 'rejected') throw result.reason;
}
