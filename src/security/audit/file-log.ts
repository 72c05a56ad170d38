import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StrataError, syncDirectory, type Logger } from '../../kernel/index.js';
import { resume } from './file-resume.js';
import {
  chainRecord,
  checkEntry,
  serialiseRecord,
  type AuditEntry,
  type AuditLog,
  type ChainHead,
} from './record.js';
import { GroupCommit } from './group-commit.js';

/**
 * `always`: `record` resolves after fdatasync, so an acknowledged record survives kill -9 and
 * power loss. `interval`: resolves once written (it survives kill -9, the kernel holds it) and is
 * synced every `fsyncIntervalMs`; power loss may drop that interval.
 */
export type AuditFsyncPolicy = 'always' | 'interval';

export interface FileAuditLogOptions {
  readonly path: string;
  readonly logger: Logger;
  readonly fsync?: AuditFsyncPolicy;
  readonly fsyncIntervalMs?: number;
  /**
   * What to do when the file's chain is already broken. `refuse` (the default): do not open, since
   * appending would extend a tampered chain. `new-segment`: rename the file to
   * `<path>.broken-<time>` (kept untouched as evidence) and start a new chain at `path` whose first
   * record names that file and where it broke.
   */
  readonly onBrokenChain?: 'refuse' | 'new-segment';
}

/**
 * The audit log as a JSON-lines file (format: record.ts). One writer per file: records are chained
 * and appended in call order; concurrent calls share one write and one fsync (group commit).
 */
export class FileAuditLog implements AuditLog {
  #head: ChainHead;
  readonly #commits = new GroupCommit<AuditEntry>((entries) => this.#write(entries));
  #syncing: Promise<void> | undefined;
  #dirty = false;
  #failure: StrataError | undefined;
  #closed = false;
  readonly #timer: NodeJS.Timeout | undefined;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    private readonly fsync: AuditFsyncPolicy,
    fsyncIntervalMs: number,
    head: ChainHead,
  ) {
    this.#head = head;
    if (fsync === 'interval') {
      this.#timer = setInterval(() => {
        this.#syncing ??= this.#sync()
          .catch((error: unknown) => {
            // After a failed fsync the kernel may have dropped the pages: records may be lost.
            this.#failure ??= this.#unavailable(error);
          })
          .finally(() => (this.#syncing = undefined));
      }, fsyncIntervalMs);
      // A pending sync must not keep an otherwise finished process alive.
      this.#timer.unref();
    }
  }

  /**
   * Opens (or creates, mode 0600) the file for appending and resumes its chain. The whole file is
   * verified first; an incomplete last line (a crash mid-write; never an acknowledged record) is
   * cut off with a warning, any other damage follows `onBrokenChain`.
   */
  static async open(options: FileAuditLogOptions): Promise<FileAuditLog> {
    const { head, created, segmentStart } = await resume(options);
    // O_APPEND: every write lands at the end, whatever another handle did to the size.
    const handle = await open(options.path, 'a', 0o600);
    if (created) await syncDirectory(dirname(options.path));
    const log = new FileAuditLog(
      options.path,
      handle,
      options.fsync ?? 'always',
      options.fsyncIntervalMs ?? 1000,
      head,
    );
    if (segmentStart !== undefined) await log.record(segmentStart);
    return log;
  }

  /** The last stored record: anchor it elsewhere to detect a cut tail (docs/audit-log.md). */
  get head(): ChainHead {
    return this.#head;
  }

  async record(entry: AuditEntry): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closed) throw new StrataError('SHUTTING_DOWN', `The audit log at ${this.path} is closed.`);
    checkEntry(entry);
    return this.#commits.add(entry);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#commits.idle();
    await this.#syncing;
    if (this.#failure === undefined) await this.#sync();
    await this.handle.close();
  }

  // After a failed write, part of a batch may be on disk as a torn line; appending after it would
  // bury it in the middle of the file. So every later batch is refused too; reopening cuts the
  // torn line.
  async #write(entries: readonly AuditEntry[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    try {
      await this.#append(entries);
    } catch (error) {
      this.#failure ??= this.#unavailable(error);
      throw this.#failure;
    }
  }

  async #append(entries: readonly AuditEntry[]): Promise<void> {
    let head = this.#head;
    const lines: string[] = [];
    const now = new Date();
    for (const entry of entries) {
      const record = chainRecord(head, entry, now);
      lines.push(`${serialiseRecord(record)}\n`);
      head = record;
    }
    const data = Buffer.from(lines.join(''));
    for (let written = 0; written < data.length;) {
      written += (await this.handle.write(data, written)).bytesWritten;
    }
    // Marked after the write: an interval sync running meanwhile may not have covered it.
    this.#dirty = true;
    if (this.fsync === 'always') await this.#sync();
    this.#head = { seq: head.seq, hash: head.hash };
  }

  #unavailable(cause: unknown): StrataError {
    return new StrataError(
      'UNAVAILABLE',
      `The audit log at ${this.path} could not be written, so it accepts no more records; records after seq ${this.#head.seq} may not be stored. Fix the cause (disk full, I/O error), then restart to reopen it.`,
      { cause, details: { path: this.path, lastSeq: this.#head.seq } },
    );
  }

  async #sync(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.handle.datasync();
  }
}
