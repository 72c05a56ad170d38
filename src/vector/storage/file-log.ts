import { mkdir, open, unlink, type FileHandle } from 'node:fs/promises';
import { StrataError, type Logger } from '../../kernel/index.js';
import { fsyncDirectory } from './durable-fs.js';
import { replaySegments } from './file-log-replay.js';
import type { LogDurability, OperationLog, ReplayReport } from './operation-log.js';
import { encodeRecord, maxEntryBytes } from './record.js';
import { createSegment, repairTail } from './file-log-recovery.js';
import { listSegments, type Segment } from './segment.js';

/**
 * `always`: append resolves after fdatasync (survives power loss). `interval`: synced every
 * `fsyncIntervalMs`; survives a process crash, may lose the last interval on power loss. `never`:
 * left to the OS page cache; survives a process crash only.
 */
export type FsyncPolicy = 'always' | 'interval' | 'never';

export interface FileLogOptions {
  readonly directory: string;
  readonly logger: Logger;
  readonly fsync?: FsyncPolicy;
  readonly fsyncIntervalMs?: number;
  /** A segment rolls over before it would exceed this size; a larger single entry gets its own. */
  readonly segmentBytes?: number;
}

interface PendingAppend {
  readonly sequence: number;
  readonly record: Buffer;
  readonly resolve: (sequence: number) => void;
  readonly reject: (error: unknown) => void;
}

interface ActiveSegment {
  readonly base: number;
  readonly handle: FileHandle;
  size: number;
}

/** The embedded OperationLog: a write-ahead log of segment files in one directory. */
export class FileLog implements OperationLog {
  readonly durability: LogDurability;
  #lastSequence: number;
  #assigned: number;
  #pending: PendingAppend[] = [];
  #draining: Promise<void> | undefined;
  /** Serialises every use of the file handles: batch writes, roll-over, syncs, truncation. */
  #io: Promise<unknown> = Promise.resolve();
  #dirty = false;
  #failure: StrataError | undefined;
  #closed = false;
  readonly #timer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly options: Required<FileLogOptions>,
    private segments: Segment[],
    private active: ActiveSegment,
    lastSequence: number,
  ) {
    this.durability = options.fsync === 'always' ? 'fsync' : 'none';
    this.#lastSequence = lastSequence;
    this.#assigned = lastSequence;
    if (options.fsync === 'interval') {
      this.#timer = setInterval(() => {
        this.#exclusive(() => this.#syncIfDirty()).catch((error: unknown) => {
          this.#fail(error);
        });
      }, options.fsyncIntervalMs);
      // A pending sync must not keep a process alive that has nothing else to do.
      this.#timer.unref();
    }
  }

  /** Opens (or creates) the log, truncating a torn or corrupt tail of the last segment. */
  static async open(options: FileLogOptions): Promise<FileLog> {
    const resolved: Required<FileLogOptions> = {
      fsync: 'always',
      fsyncIntervalMs: 100,
      segmentBytes: 64 * 1024 * 1024,
      ...options,
    };
    await mkdir(resolved.directory, { recursive: true });
    const segments = await listSegments(resolved.directory);
    const last = segments.at(-1) ?? (await createSegment(resolved.directory, 1));
    if (segments.length === 0) segments.push(last);
    const { size, records } = await repairTail(last, resolved.logger);
    const handle = await open(last.path, 'r+');
    return new FileLog(resolved, segments, { base: last.base, handle, size }, last.base + records - 1);
  }

  get firstSequence(): number {
    return this.segments[0]?.base ?? this.active.base;
  }

  get lastSequence(): number {
    return this.#lastSequence;
  }

  append(entry: Uint8Array): Promise<number> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new StrataError('SHUTTING_DOWN', 'The operation log is closed.'));
    if (entry.byteLength > maxEntryBytes) {
      return Promise.reject(
        new StrataError('INVALID_ARGUMENT', `A log entry may hold at most ${maxEntryBytes} bytes.`, {
          details: { bytes: entry.byteLength, limit: maxEntryBytes },
        }),
      );
    }
    // The sequence is assigned now, so order follows call order even though writes are batched.
    const sequence = ++this.#assigned;
    return new Promise((resolve, reject) => {
      this.#pending.push({ sequence, record: encodeRecord(sequence, entry), resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  replay(afterSequence: number, apply: (sequence: number, entry: Uint8Array) => void): Promise<ReplayReport> {
    return replaySegments([...this.segments], afterSequence, this.#lastSequence, apply);
  }

  truncateThrough(sequence: number): Promise<void> {
    return this.#exclusive(async () => {
      if (sequence > this.#assigned) await this.#skipTo(sequence);
      else await this.#deleteCoveredSegments(sequence);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    while (this.#draining !== undefined) await this.#draining;
    await this.#exclusive(async () => {
      if (this.#failure === undefined) await this.#syncIfDirty();
      await this.active.handle.close();
    });
  }

  /**
   * Group commit: every append that arrives while a batch is being written and synced joins the
   * next batch, which shares one write and one fdatasync. Throughput grows with the number of
   * concurrent writers instead of being capped at one fsync per entry.
   */
  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0);
        try {
          await this.#exclusive(() => this.#writeBatch(batch));
          this.#lastSequence = batch.at(-1)?.sequence ?? this.#lastSequence;
          for (const append of batch) append.resolve(append.sequence);
        } catch (error) {
          this.#fail(error, batch);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }

  async #writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure;
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    for (const { sequence, record } of batch) {
      const segmentSize = this.active.size + chunkBytes;
      if (segmentSize > 0 && segmentSize + record.length > this.options.segmentBytes) {
        await this.#write(chunk, chunkBytes);
        await this.#roll(sequence);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(record);
      chunkBytes += record.length;
    }
    await this.#write(chunk, chunkBytes);
    if (this.options.fsync === 'always') await this.#syncIfDirty();
  }

  async #write(buffers: Buffer[], bytes: number): Promise<void> {
    if (buffers.length === 0) return;
    const { bytesWritten } = await this.active.handle.writev(buffers, this.active.size);
    this.active.size += bytesWritten;
    this.#dirty = true;
    if (bytesWritten !== bytes) throw new Error(`short write: ${bytesWritten} of ${bytes} bytes`);
  }

  async #syncIfDirty(): Promise<void> {
    if (!this.#dirty) return;
    this.#dirty = false;
    await this.active.handle.datasync();
  }

  /**
   * The old segment is synced before the next one exists, whatever the policy, so that a torn
   * write can only ever be in the last segment: anything damaged before it is real corruption.
   */
  async #roll(base: number): Promise<void> {
    await this.#syncIfDirty();
    await this.active.handle.close();
    const segment = await createSegment(this.options.directory, base);
    this.segments.push(segment);
    this.active = { base, handle: await open(segment.path, 'r+'), size: 0 };
  }

  /** A snapshot newer than the log (its unsynced tail was lost): restart the log after it. */
  async #skipTo(sequence: number): Promise<void> {
    if (this.#pending.length > 0) {
      throw new StrataError(
        'INTERNAL',
        `Cannot move the log to ${sequence} while entries are being appended.`,
      );
    }
    await this.#roll(sequence + 1);
    this.#assigned = sequence;
    this.#lastSequence = sequence;
    await this.#deleteCoveredSegments(sequence);
  }

  /** Whole segments only, oldest first, so that a crash midway still leaves a contiguous log. */
  async #deleteCoveredSegments(sequence: number): Promise<void> {
    let deleted = 0;
    for (;;) {
      const [oldest, next] = this.segments;
      if (oldest === undefined || next === undefined || next.base - 1 > sequence) break;
      await unlink(oldest.path);
      this.segments.shift();
      deleted += 1;
    }
    if (deleted > 0) await fsyncDirectory(this.options.directory);
  }

  #exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#io.then(task);
    this.#io = run.catch(() => undefined);
    return run;
  }

  /**
   * After a failed write or fsync the kernel may have dropped the dirty pages, so a retried fsync
   * could report success for data that is not on disk ("fsyncgate"). The log refuses further
   * appends; reopening it re-reads what is really there.
   */
  #fail(error: unknown, batch: readonly PendingAppend[] = []): void {
    this.#failure ??= new StrataError(
      'INTERNAL',
      'Writing the operation log failed; reopen it to continue.',
      {
        cause: error,
        details: { directory: this.options.directory },
      },
    );
    for (const append of [...batch, ...this.#pending.splice(0)]) append.reject(this.#failure);
    this.options.logger.error({ err: error, directory: this.options.directory }, 'operation log failed');
  }
}
