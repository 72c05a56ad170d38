/**
 * Applies logged operations strictly in sequence order. Appends from concurrent requests may
 * complete in any order (they share fsyncs), but state must change in log order, or replay after
 * a crash would build a different state than the one clients saw.
 *
 * An apply may return a promise (a large upsert that gives the event loop turns between its
 * steps): the next item waits for it, so one item at most is ever part-applied.
 */
export class OrderedApply<T> {
  #next: number;
  /** Holds in force (pause()); while any is, submitted items wait and nothing is applied. */
  #holds = 0;
  /** The apply in progress when it is asynchronous, settled once it has ended. */
  #applying: Promise<void> | undefined;
  readonly #pending = new Map<number, { item: T; done: () => void; failed: (error: unknown) => void }>();

  constructor(
    after: number,
    private readonly apply: (item: T, sequence: number) => void | Promise<void>,
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
   * Applies nothing more until the returned function is called (holds nest): for a reader that
   * gives the event loop turns while it reads the state, a snapshot, and needs it to stay as it
   * was. Resolves once an apply in progress has ended, so that the state is whole. Items
   * submitted meanwhile wait, in order, and are applied when the last hold ends.
   */
  async pause(): Promise<() => void> {
    this.#holds++;
    let ended = false;
    const resume = (): void => {
      if (ended) return;
      ended = true;
      this.#holds--;
      this.#drain();
    };
    await this.#applying;
    return resume;
  }

  /** Resolves once no apply is in progress (items waiting for a gap or a hold may remain). */
  async idle(): Promise<void> {
    while (this.#applying !== undefined) await this.#applying;
  }

  #drain(): void {
    while (this.#holds === 0 && this.#applying === undefined) {
      const entry = this.#pending.get(this.#next);
      if (entry === undefined) return;
      this.#pending.delete(this.#next);
      const sequence = this.#next++;
      let applying: void | Promise<void>;
      try {
        applying = this.apply(entry.item, sequence);
      } catch (error) {
        entry.failed(error);
        continue;
      }
      if (applying === undefined) {
        entry.done();
        continue;
      }
      this.#applying = applying.then(entry.done, entry.failed).finally(() => {
        this.#applying = undefined;
        this.#drain();
      });
    }
  }
}
