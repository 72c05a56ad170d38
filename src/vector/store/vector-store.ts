import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DirectoryLock,
  StrataError,
  writeChunks,
  type ByteSink,
  type Lifecycle,
  type Logger,
} from '../../kernel/index.js';
import type { BuildPool } from '../build/index.js';
import { Collection } from '../collection/collection.js';
import type { FullVectorsPlacement } from '../collection/collection-index.js';
import { decodeOperation, encodeOperation, type Operation } from '../collection/operations.js';
import { fixedOnDisk, hnswFrom, paramsFromCreate, type CollectionParams } from '../collection/params.js';
import type { BlockCache } from '../quantization/block-cache.js';
import { DiskFullVectors } from '../quantization/disk-full-vectors.js';
import {
  deleteSnapshots,
  latestSnapshot,
  writeSnapshot,
  type BlobStore,
  type ByteSource,
  type OperationLog,
} from '../storage/index.js';
import { readCatalog, writeCatalog } from './catalog.js';
import { ChangeFeed, type StoreListener } from './change-feed.js';
import { collectionInfo } from './collection-info.js';
import { clientCollectionName, parseStoredCollectionName } from './collection-name.js';
import { OrderedApply } from './ordered-apply.js';
import { body, type Json } from './requests.js';

export interface VectorStoreOptions {
  /** Folder of the vector module (`<dataDir>/vector`). */
  readonly directory: string;
  readonly logger: Logger;
  /** Opens (creating if needed) the operation log kept in a collection's folder. */
  readonly openLog: (directory: string) => Promise<OperationLog>;
  /** Where snapshots go; names are `snapshots/<collection>/...`. */
  readonly snapshots: BlobStore;
  /** Snapshots kept per collection. */
  readonly snapshotsKept: number;
  /** A snapshot is taken once this many operations were logged since the last one. */
  readonly snapshotEveryOperations: number;
  /** The cache of disk blocks that every `on_disk` collection reads its full vectors through. */
  readonly diskCache: BlockCache;
  /** Worker threads for large upserts, snapshot restores and replay at open; none: serial. */
  readonly buildPool?: BuildPool;
}

/** What a mutation answers once it is durable and applied (Qdrant's UpdateResult). */
export interface UpdateResult {
  readonly operation_id: number;
  readonly status: 'completed';
}

interface Stored {
  readonly collection: Collection;
  readonly log: OperationLog;
  readonly applier: OrderedApply<Operation>;
  /** Sequence of the newest snapshot (0: none). */
  snapshotSequence: number;
  /** The snapshot being written, if any: one at a time per collection. */
  snapshotting: Promise<void> | undefined;
  /** Reads of the state in progress (#holdingState): closing the collection waits for them. */
  readonly stateReads: Set<Promise<unknown>>;
}

/**
 * The embedded vector database: collections, each with its operation log. A mutation is
 * validated, resolved, appended to the log (durable per the log's policy), applied in sequence
 * order, and only then acknowledged. On start, each collection is rebuilt by replaying its log.
 * Names here are stored names, which carry the tenant (collection-name.ts); VectorProcedures
 * maps a client's names into its tenant.
 */
export class VectorStore implements Lifecycle {
  readonly #collections = new Map<string, Stored>();
  /** Serialises catalog changes (create, delete, update): they are rare and touch one file. */
  #catalogChange: Promise<unknown> = Promise.resolve();
  /** Held from start to stop: one process per vector directory (see DirectoryLock). */
  #lock: DirectoryLock | undefined;
  readonly #changes: ChangeFeed;
  /** Numbers the full-vector files, unique within the folder this process emptied at start. */
  #files = 0;

  constructor(private readonly options: VectorStoreOptions) {
    this.#changes = new ChangeFeed(options.logger);
  }

  /**
   * Full vectors of `on_disk` collections: derived state, rebuilt from the snapshot and the log on
   * every open (decision 0014), so the folder is emptied at start and a file is deleted with its
   * collection. Kept out of the collection's own folder: a restore empties that folder when the
   * new state, its file included, is already built.
   */
  get #fullVectorsDir(): string {
    return join(this.options.directory, 'full-vectors');
  }

  #placement(name: string): FullVectorsPlacement {
    return (params) =>
      params.onDisk === true
        ? (dimension, metric) =>
            new DiskFullVectors({
              path: join(this.#fullVectorsDir, name, `${++this.#files}.f32`),
              dimension,
              metric,
              cache: this.options.diskCache,
            })
        : undefined;
  }

  get #catalogPath(): string {
    return join(this.options.directory, 'collections.json');
  }

  /** Where the gateway writes a snapshot upload while it is restored; emptied at start. */
  get uploadDirectory(): string {
    return join(this.options.directory, 'uploads');
  }

  #collectionDir(name: string): string {
    return join(this.options.directory, 'collections', name);
  }

  async start(): Promise<void> {
    await mkdir(join(this.options.directory, 'collections'), { recursive: true });
    this.#lock = await DirectoryLock.acquire(this.options.directory);
    await rm(this.#fullVectorsDir, { recursive: true, force: true });
    // Snapshot uploads in progress when the process stopped.
    await rm(this.uploadDirectory, { recursive: true, force: true });
    for (const entry of await readCatalog(this.#catalogPath)) {
      const stored = await this.#open(entry.name, entry.params);
      const report = await stored.log.replay(stored.snapshotSequence, (sequence, bytes) => {
        stored.collection.apply(decodeOperation(bytes), sequence);
      });
      this.options.logger.info(
        {
          collection: entry.name,
          snapshotSequence: stored.snapshotSequence,
          replayed: report.entries,
          points: stored.collection.pointCount,
        },
        'collection loaded',
      );
    }
  }

  /** Snapshots every collection changed since its last snapshot, so the next start replays nothing. */
  async stop(): Promise<void> {
    const stopping = [...this.#collections.values()].map(async (stored) => {
      await this.#stateSettled(stored);
      if (stored.collection.sequence > stored.snapshotSequence) await this.#snapshot(stored);
      await stored.log.close();
      stored.collection.close();
    });
    this.#collections.clear();
    await Promise.all(stopping);
    await this.#lock?.release();
    this.#lock = undefined;
  }

  /**
   * Calls `listener` with every change to any collection, after it is applied, until the returned
   * function is called. Changes of one collection arrive in log order. Replay at start reports nothing.
   */
  watch(listener: StoreListener): () => void {
    return this.#changes.watch(listener);
  }

  listCollections(): { name: string }[] {
    return [...this.#collections.keys()].sort().map((name) => ({ name }));
  }

  collectionExists(name: string): boolean {
    return this.#collections.has(name);
  }

  /** The collection, or NOT_FOUND naming it. */
  collection(name: string): Collection {
    return this.#stored(name).collection;
  }

  createCollection(name: string, request: unknown): Promise<void> {
    parseStoredCollectionName(name);
    const params = paramsFromCreate(request);
    return this.#changeCatalog(async () => {
      if (this.#collections.has(name)) {
        throw new StrataError('ALREADY_EXISTS', `collection ${clientCollectionName(name)} already exists`);
      }
      // Leftovers of an interrupted delete must not leak old points into the new collection.
      await rm(this.#collectionDir(name), { recursive: true, force: true });
      await deleteSnapshots(this.options.snapshots, name);
      const stored = await this.#open(name, params);
      await this.#writeCatalog();
      this.#changes.publish(name, { change: 'created', pointsCount: stored.collection.pointCount });
    });
  }

  updateCollection(name: string, request: unknown): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const changes = body(request);
    fixedOnDisk(changes['vectors'], stored.collection.params.onDisk === true);
    if (changes['quantization_config'] !== undefined && changes['quantization_config'] !== null) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        'quantization_config is fixed when a collection is created; create a new collection with the quantization_config you want and copy the points over',
      );
    }
    const hnsw = hnswFrom(changes['hnsw_config'], stored.collection.params);
    return this.mutate(name, { op: 'update_hnsw', ...hnsw });
  }

  deleteCollection(name: string): Promise<boolean> {
    return this.#changeCatalog(async () => {
      const stored = this.#collections.get(name);
      if (stored === undefined) return false;
      this.#collections.delete(name);
      await this.#writeCatalog();
      await this.#stateSettled(stored);
      await stored.log.close();
      stored.collection.close();
      await deleteSnapshots(this.options.snapshots, name);
      await rm(this.#collectionDir(name), { recursive: true, force: true });
      this.#changes.publish(name, { change: 'deleted', pointsCount: 0 });
      return true;
    });
  }

  /** Logs an operation, applies it in sequence order, and answers once both are done. */
  async mutate(name: string, operation: Operation): Promise<UpdateResult> {
    const stored = this.#stored(name);
    const sequence = await stored.log.append(encodeOperation(operation));
    await stored.applier.submit(sequence, operation);
    if (
      stored.snapshotting === undefined &&
      sequence - stored.snapshotSequence >= this.options.snapshotEveryOperations
    ) {
      // Not awaited by the request: its write is already durable in the log.
      stored.snapshotting = this.#snapshot(stored)
        .catch((error: unknown) => {
          this.options.logger.error({ err: error, collection: stored.collection.name }, 'snapshot failed');
        })
        .finally(() => {
          stored.snapshotting = undefined;
        });
    }
    return { operation_id: sequence, status: 'completed' };
  }

  /**
   * Hands the collection's state at its current sequence to `write`, giving the event loop turns as
   * it goes: searches go on meanwhile, and writes to this collection are logged but wait to be
   * applied until the state is written.
   */
  writeState(name: string, write: ByteSink): Promise<void> {
    const stored = this.#stored(name);
    return this.#holdingState(stored, () => writeChunks(stored.collection.stateChunks(), write));
  }

  // Runs `read` with the collection's applier paused, so that the state stays at one sequence
  // while `read` gives the event loop turns; closing the collection waits for it.
  #holdingState<T>(stored: Stored, read: () => Promise<T>): Promise<T> {
    const reading = (async () => {
      const resume = await stored.applier.pause();
      try {
        return await read();
      } finally {
        resume();
      }
    })();
    stored.stateReads.add(reading);
    const forget = (): void => {
      stored.stateReads.delete(reading);
    };
    reading.then(forget, forget);
    return reading;
  }

  // Resolves once no snapshot or other read of the state, and no apply, is running on the collection.
  async #stateSettled(stored: Stored): Promise<void> {
    await stored.snapshotting;
    await Promise.allSettled(stored.stateReads);
    await stored.applier.idle();
  }

  /**
   * Replaces the collection `name` (or creates it) with the state in `state` (Collection.writeState()
   * bytes, verified by the caller), which may come from another collection or another Strata.
   * `admit` sees the restored collection before anything changes, and may refuse it (a quota).
   *
   * Crash-safe by ordering: the restored collection is written as an internal snapshot whose sequence
   * is past everything in the old log, in one atomic put. Before that put a restart finds the old
   * collection; after it, the new one (the old log's entries are all older than the snapshot and
   * are not replayed). Only then is the catalog rewritten. Calls on the collection meanwhile get
   * NOT_FOUND, as during a create.
   */
  async restoreCollection(
    name: string,
    state: ByteSource,
    admit: (restored: Collection) => void,
  ): Promise<UpdateResult> {
    parseStoredCollectionName(name);
    let restored: Collection;
    try {
      restored = await Collection.restore(name, state, this.#placement(name), this.options.buildPool);
    } catch (error) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        'snapshot refused: its collection state cannot be read; nothing was changed',
        {
          cause: error,
        },
      );
    }
    try {
      admit(restored);
    } catch (error) {
      restored.close();
      throw error;
    }
    return this.#changeCatalog(async () => {
      const old = this.#collections.get(name);
      let after = 0;
      if (old === undefined) {
        await rm(this.#collectionDir(name), { recursive: true, force: true });
        await deleteSnapshots(this.options.snapshots, name);
      } else {
        // Stop taking writes, let appended ones finish, so that no old entry follows the switch.
        this.#collections.delete(name);
        await this.#stateSettled(old);
        await old.log.close();
        old.collection.close();
        after = Math.max(old.log.lastSequence, old.snapshotSequence, old.collection.sequence);
      }
      const sequence = after + 1;
      restored.rebase(sequence);
      try {
        await writeSnapshot(this.options.snapshots, name, restored, this.options.snapshotsKept);
      } catch (error) {
        // Nothing switched: the old collection is still what its snapshot and log hold; serve it again.
        restored.close();
        if (old !== undefined) await this.#reopen(name, old.collection.params);
        throw error;
      }
      const stored = await this.#open(name, restored.params, restored);
      await this.#writeCatalog();
      this.#changes.publish(name, {
        change: old === undefined ? 'created' : 'updated',
        ...(old === undefined ? {} : { operation: 'recover_snapshot', operationId: sequence }),
        pointsCount: stored.collection.pointCount,
      });
      return { operation_id: sequence, status: 'completed' as const };
    });
  }

  /** Opens a collection from disk again, replaying its log as a start does. */
  async #reopen(name: string, params: CollectionParams): Promise<void> {
    const stored = await this.#open(name, params);
    // Out of reach until replayed, so no new write is applied before the entries it follows.
    this.#collections.delete(name);
    await stored.log.replay(stored.snapshotSequence, (sequence, bytes) => {
      stored.collection.apply(decodeOperation(bytes), sequence);
    });
    this.#collections.set(name, stored);
  }

  /** Bytes the collection holds on disk: its log, its snapshots and (on_disk) its full-vector file. */
  async diskBytes(name: string): Promise<number> {
    this.#stored(name);
    const sizes = await Promise.all([
      directorySize(this.#collectionDir(name)),
      directorySize(join(this.options.directory, 'snapshots', name)),
      directorySize(join(this.#fullVectorsDir, name)),
    ]);
    return sizes.reduce((sum, size) => sum + size, 0);
  }

  /**
   * Writes the collection's state as of now (at one sequence: writes wait meanwhile, see
   * writeState), then lets the log drop what the oldest kept snapshot covers: this is how deleted
   * points leave the disk.
   */
  async #snapshot(stored: Stored): Promise<void> {
    const written = await this.#holdingState(stored, () =>
      writeSnapshot(
        this.options.snapshots,
        stored.collection.name,
        stored.collection,
        this.options.snapshotsKept,
      ),
    );
    stored.snapshotSequence = written.sequence;
    await stored.log.truncateThrough(written.truncatableThrough);
  }

  /** Collection info in Qdrant's shape. */
  collectionInfo(name: string): Json {
    return collectionInfo(this.#stored(name).collection);
  }

  #stored(name: string): Stored {
    const stored = this.#collections.get(name);
    if (stored === undefined)
      throw new StrataError('NOT_FOUND', `collection ${clientCollectionName(name)} does not exist`);
    return stored;
  }

  /** Opens a collection from its newest snapshot and its log; `restored`: that snapshot, already built. */
  async #open(name: string, params: CollectionParams, restored?: Collection): Promise<Stored> {
    const directory = this.#collectionDir(name);
    await mkdir(directory, { recursive: true });
    const snapshot = await latestSnapshot(this.options.snapshots, name, this.options.logger);
    const placement = this.#placement(name);
    let collection: Collection;
    try {
      collection =
        snapshot === undefined
          ? new Collection(name, params, placement, this.options.buildPool)
          : restored?.sequence === snapshot.sequence
            ? restored
            : await Collection.restore(name, snapshot.state, placement, this.options.buildPool);
    } finally {
      snapshot?.close();
    }
    if (restored !== undefined && restored !== collection) restored.close();
    // The snapshot's sequence is the truth: a recovered state still carries its source's.
    if (snapshot !== undefined && collection.sequence !== snapshot.sequence)
      collection.rebase(snapshot.sequence);
    const log = await this.options.openLog(join(directory, 'wal'));
    // A snapshot newer than the log (a restored one, or a log that lost its unsynced tail): move
    // the log past it, or new entries would reuse sequences the snapshot covers and be skipped.
    if (snapshot !== undefined && snapshot.sequence > log.lastSequence)
      await log.truncateThrough(snapshot.sequence);
    // Reported from inside the ordered apply, so that changes arrive in log order and each count
    // is the one right after its operation, before a later one is applied.
    const applier = new OrderedApply<Operation>(log.lastSequence, (operation, sequence) => {
      const changed = (): void => {
        this.#changes.publish(name, {
          change: 'updated',
          operation: operation.op,
          operationId: sequence,
          pointsCount: collection.pointCount,
        });
      };
      const applying = collection.applyInTurns(operation, sequence);
      if (applying !== undefined) return applying.then(changed);
      changed();
      return undefined;
    });
    const stored: Stored = {
      collection,
      log,
      applier,
      snapshotSequence: snapshot?.sequence ?? 0,
      snapshotting: undefined,
      stateReads: new Set(),
    };
    this.#collections.set(name, stored);
    return stored;
  }

  /** Rewrites the catalog from the open collections. */
  #writeCatalog(): Promise<void> {
    const entries = [...this.#collections.entries()].map(([name, stored]) => ({
      name,
      params: stored.collection.params,
    }));
    return writeCatalog(this.#catalogPath, entries);
  }

  #changeCatalog<T>(change: () => Promise<T>): Promise<T> {
    const next = this.#catalogChange.then(change);
    this.#catalogChange = next.catch(() => undefined);
    return next;
  }
}

/** Total size of the files under `directory` (0 when it does not exist). */
async function directorySize(directory: string): Promise<number> {
  let entries;
  try {
    entries = await readdir(directory, { withFileTypes: true, recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let total = 0;
  for (const entry of entries) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}
