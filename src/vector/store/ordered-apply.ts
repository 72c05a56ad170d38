/**
 * Applies logged operations strictly in sequence order. Appends from concurrent requests may
 * complete in any order (they share fsyncs), but state must change in log order, or replay after
 * a crash would build a different state than the one clients saw.
 */
export class OrderedApply<T> {
  #next: number;
  /** Holds in force (pause()); while any is, submitted items wait and nothing is applied. */
  #holds = 0;
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

  /**
   * Applies nothing until the returned function is called (holds nest): for a reader that gives
   * the event loop turns while it reads the state, a snapshot, and needs it to stay as it was.
   * Items submitted meanwhile wait, in order, and are applied when the last hold ends.
   */
  pause(): () => void {
    this.#holds++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#holds--;
      this.#drain();
    };
  }

  #drain(): void {
    if (this.#holds > 0) return;
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
