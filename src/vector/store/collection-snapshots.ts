import type { ReadStream } from 'node:fs';
import { StrataError, type Logger } from '../../kernel/index.js';
import type { Collection } from '../collection/collection.js';
import {
  snapshotBody,
  type ByteSource,
  type SnapshotDescription,
  type SnapshotFiles,
} from '../storage/index.js';
import { clientCollectionName } from './collection-name.js';
import type { UpdateResult, VectorStore } from './vector-store.js';

export interface ScheduleOptions {
  /** Minutes between scheduled snapshots of every collection; 0: none. */
  readonly everyMinutes: number;
  /** Scheduled snapshots kept per collection; older scheduled ones are deleted. */
  readonly keep: number;
}

/**
 * The label of scheduled snapshots: retention deletes only these, never one a user made. A user's
 * are `<name>-<time>`, scheduled ones `<name>.scheduled-<time>`, so the two never share a prefix.
 */
const scheduled = (collection: string): string => `${clientCollectionName(collection)}.scheduled`;

/**
 * User snapshots of collections (Qdrant's snapshot API) over the store and the snapshot files:
 * create, list, open, delete, recover from bytes, and the schedule with its retention. Names here
 * are stored names; VectorProcedures maps a tenant's names and checks that a location is its own.
 */
export class CollectionSnapshots {
  /** Collections with a snapshot being written: the schedule never starts a second one. */
  readonly #writing = new Map<string, Promise<unknown>>();
  #timer: NodeJS.Timeout | undefined;
  #tick: Promise<void> | undefined;

  constructor(
    private readonly store: VectorStore,
    readonly files: SnapshotFiles,
    private readonly logger: Logger,
  ) {}

  /** Snapshots the collection as of now; NOT_FOUND when it does not exist. */
  create(collection: string, label = clientCollectionName(collection)): Promise<SnapshotDescription> {
    // At one sequence: writes to the collection wait while the file is written (writeState).
    const writing = this.files.create(collection, label, (write) => this.store.writeState(collection, write));
    this.#writing.set(collection, writing);
    return writing.finally(() => {
      if (this.#writing.get(collection) === writing) this.#writing.delete(collection);
    });
  }

  /** Snapshots outlive their collection (they are its backups), so a deleted one still lists them. */
  list(collection: string): Promise<SnapshotDescription[]> {
    return this.files.list(collection);
  }

  open(collection: string, name: string): Promise<{ size: number; stream: ReadStream }> {
    return this.files.open(collection, name);
  }

  async delete(collection: string, name: string): Promise<true> {
    if (!(await this.files.delete(collection, name))) {
      throw new StrataError(
        'NOT_FOUND',
        `collection ${clientCollectionName(collection)} has no snapshot ${name}`,
      );
    }
    return true;
  }

  /**
   * Replaces (or creates) `collection` with a snapshot file's state. The file is verified whole
   * (its embedded SHA-256, then `checksum` when given: the whole file's, as Qdrant reports it)
   * before anything changes; `admit` may refuse the restored collection (a quota).
   */
  async recover(
    collection: string,
    file: ByteSource,
    checksum: string | undefined,
    admit: (restored: Collection) => void,
  ): Promise<UpdateResult> {
    return await this.store.restoreCollection(collection, await snapshotBody(file, checksum), admit);
  }

  /**
   * Snapshots every collection each `everyMinutes` and keeps the newest `keep` scheduled ones.
   * One pass at a time: a pass still running when the next is due makes that one skip.
   */
  startSchedule(options: ScheduleOptions): void {
    if (options.everyMinutes <= 0) return;
    this.#timer = setInterval(() => {
      this.#tick ??= this.#snapshotAll(options.keep).finally(() => {
        this.#tick = undefined;
      });
    }, options.everyMinutes * 60_000);
    this.#timer.unref();
  }

  /** Stops the schedule and waits for the snapshot being written, if any. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#tick;
    await Promise.allSettled([...this.#writing.values()]);
  }

  async #snapshotAll(keep: number): Promise<void> {
    for (const { name } of this.store.listCollections()) {
      if (this.#timer === undefined) return;
      if (this.#writing.has(name)) continue;
      try {
        await this.create(name, scheduled(name));
        const label = `${scheduled(name)}-`;
        const ours = (await this.files.list(name)).filter((s) => s.name.startsWith(label));
        for (const old of ours.slice(0, Math.max(0, ours.length - keep)))
          await this.files.delete(name, old.name);
      } catch (error) {
        // A collection deleted meanwhile is not a failure of the schedule.
        if (!this.store.collectionExists(name)) continue;
        this.logger.error(
          { err: error, collection: name },
          'scheduled snapshot failed; the next pass retries',
        );
      }
    }
  }
}
