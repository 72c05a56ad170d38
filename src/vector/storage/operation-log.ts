/**
 * The log every collection mutation goes through (ARCHITECTURE.md §4): state = snapshot + replay of
 * the entries after the snapshot's sequence. Embedded mode implements it over local segment files
 * (FileLog); distributed mode will implement it over one NATS JetStream stream per shard, whose
 * stream sequence is this sequence. Entries are opaque bytes: the collection layer encodes its
 * operations, so neither backend knows what a point is.
 */
export interface OperationLog {
  /**
   * What an acknowledged append survives. `fsync`: a power failure (the entry is on local disk).
   * `replicated`: the loss of a node (a quorum of replicas holds it). `none`: nothing beyond the
   * process (or, for FileLog with fsync `interval` / `never`, a process crash but not power loss).
   */
  readonly durability: LogDurability;
  /** Sequence of the first entry still in the log; `lastSequence + 1` when it holds none. */
  readonly firstSequence: number;
  /** Sequence of the last acknowledged entry; 0 when nothing was ever appended. */
  readonly lastSequence: number;

  /**
   * Appends one entry and resolves with its sequence once it is as durable as `durability` says.
   * Sequences are contiguous from 1 and follow call order, also for concurrent callers.
   */
  append(entry: Uint8Array): Promise<number>;

  /**
   * Calls `apply` for every entry with a sequence above `afterSequence`, in order, up to the
   * `lastSequence` at the time of the call. The entry may be a view into a larger buffer: copy it
   * to keep it. Fails with INTERNAL when entries after `afterSequence` were already truncated.
   */
  replay(afterSequence: number, apply: (sequence: number, entry: Uint8Array) => void): Promise<ReplayReport>;

  /**
   * Allows the log to drop entries up to `sequence` (a snapshot covers them); a backend may keep
   * some longer (FileLog deletes whole segments only). A `sequence` past `lastSequence` moves the
   * log forward: the next append gets `sequence + 1`, so that a snapshot newer than a log that lost
   * its unsynced tail is never followed by reused sequences.
   */
  truncateThrough(sequence: number): Promise<void>;

  /** Waits for pending appends, makes them durable, and releases the backend. */
  close(): Promise<void>;
}

export type LogDurability = 'fsync' | 'replicated' | 'none';

export interface ReplayReport {
  /** How many entries `apply` received. */
  readonly entries: number;
  /** Sequence of the last entry applied; `afterSequence` when none was. */
  readonly lastSequence: number;
}
