import type { Logger } from '../../kernel/index.js';
import { clientCollectionName } from './collection-name.js';

/** One change to a collection, as a tenant's watcher sees it (VectorProcedures.watchCollections). */
export interface CollectionChange {
  /** The client's name, without the tenant prefix. */
  readonly collection: string;
  readonly change: 'created' | 'deleted' | 'updated';
  /** For 'updated': the operation, e.g. 'upsert', 'delete', 'set_payload', 'create_payload_index', 'update_hnsw'. */
  readonly operation?: string;
  /** For 'updated': the operation's sequence number (Qdrant's operation_id). */
  readonly operationId?: number;
  /** Points in the collection after the change (0 after delete). */
  readonly pointsCount: number;
}

/** Gets every collection's changes, with the collection's stored name (which carries its tenant). */
export type StoreListener = (stored: string, change: CollectionChange) => void;

/**
 * Where a store's changes go: every change to any collection reaches each listener, after it is
 * applied. A listener that throws is logged and skipped; the change stands.
 */
export class ChangeFeed {
  readonly #listeners = new Set<StoreListener>();

  constructor(private readonly logger: Logger) {}

  /** Calls `listener` with every change until the returned function is called. */
  watch(listener: StoreListener): () => void {
    // A listener of its own per call, so that one function watching twice is called twice.
    const entry: StoreListener = (stored, change) => {
      listener(stored, change);
    };
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  publish(stored: string, change: Omit<CollectionChange, 'collection'>): void {
    const full: CollectionChange = Object.freeze({ collection: clientCollectionName(stored), ...change });
    for (const listener of this.#listeners) {
      // A listener's failure is its own: the change is applied and the caller answered regardless.
      try {
        listener(stored, full);
      } catch (error) {
        this.logger.error(
          { err: error, collection: stored, change: full.change },
          'a collection change listener threw; the change was still applied',
        );
      }
    }
  }
}
