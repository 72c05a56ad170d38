import { StrataError } from '../../kernel/index.js';
import type { LogDurability, OperationLog, ReplayReport } from './operation-log.js';

/**
 * An OperationLog that lives in memory: for collections that need no durability (tests, a browser
 * page) and as the second implementation the conformance suite runs against.
 */
export class MemoryLog implements OperationLog {
  readonly durability: LogDurability = 'none';
  #first = 1;
  #entries: Uint8Array[] = [];
  #closed = false;

  get firstSequence(): number {
    return this.#first;
  }

  get lastSequence(): number {
    return this.#first + this.#entries.length - 1;
  }

  async append(entry: Uint8Array): Promise<number> {
    if (this.#closed) throw new StrataError('SHUTTING_DOWN', 'The operation log is closed.');
    // Copied because the caller may reuse its buffer once the append resolves.
    this.#entries.push(entry.slice());
    return this.lastSequence;
  }

  async replay(
    afterSequence: number,
    apply: (sequence: number, entry: Uint8Array) => void,
  ): Promise<ReplayReport> {
    if (afterSequence + 1 < this.#first) {
      throw new StrataError(
        'INTERNAL',
        `Entries after ${afterSequence} were already truncated from the log.`,
      );
    }
    const until = this.lastSequence;
    let entries = 0;
    const skip = Math.max(0, afterSequence + 1 - this.#first);
    for (const entry of this.#entries.slice(skip)) {
      apply(this.#first + skip + entries, entry);
      entries += 1;
    }
    return { entries, lastSequence: Math.max(afterSequence, until) };
  }

  async truncateThrough(sequence: number): Promise<void> {
    if (sequence < this.#first) return;
    this.#entries = this.#entries.slice(sequence + 1 - this.#first);
    this.#first = sequence + 1;
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
