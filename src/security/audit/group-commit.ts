/**
 * Records that arrive while a write is in flight wait and go together in the next one (group
 * commit): one write, and one sync or transaction, for many callers, in arrival order. A batch
 * that fails rejects its own callers; whether later batches may still be written is the writer's
 * decision (it throws again).
 */
export class GroupCommit<T> {
  #pending: { readonly item: T; readonly resolve: () => void; readonly reject: (error: unknown) => void }[] =
    [];
  #draining: Promise<void> | undefined;

  constructor(
    private readonly write: (batch: readonly T[]) => Promise<void>,
    private readonly maxBatch = Infinity,
  ) {}

  /** Resolves once `item` is written, in a batch with whatever else arrived meanwhile. */
  add(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Resolves once everything added so far is written or has failed. */
  async idle(): Promise<void> {
    while (this.#draining !== undefined) await this.#draining;
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.splice(0, this.maxBatch);
        try {
          await this.write(batch.map((pending) => pending.item));
          for (const pending of batch) pending.resolve();
        } catch (error) {
          for (const pending of batch) pending.reject(error);
        }
      }
    } finally {
      this.#draining = undefined;
    }
  }
}
