/**
 * Applies logged operations strictly in sequence order. Appends from concurrent requests may
 * complete in any order (they share fsyncs), but state must change in log order, or replay after
 * a crash would build a different state than the one clients saw.
 */
export class OrderedApply<T> {
  #next: number;
  readonly #pending = new Map<number, { item: T; done: () => void; failed: (error: unknown) => void }>();

  constructor(
    after: number,
    private readonly apply: (item: T, sequence: number) => void,
  ) {
    this.#next = after + 1;
  }

  /** Resolves once `item`, logged at `sequence`, and everything before it has been applied. */
  submit(sequence: number, item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.set(sequence, { item, done: resolve, failed: reject });
      this.#drain();
    });
  }

  #drain(): void {
    for (
      let entry = this.#pending.get(this.#next);
      entry !== undefined;
      entry = this.#pending.get(this.#next)
    ) {
      this.#pending.delete(this.#next);
      try {
        this.apply(entry.item, this.#next);
        entry.done();
      } catch (error) {
        entry.failed(error);
      }
      this.#next++;
    }
  }
}
