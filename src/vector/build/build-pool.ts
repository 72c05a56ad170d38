import { Worker } from 'node:worker_threads';
import { StrataError } from '../../kernel/index.js';
import {
  controlBytes,
  DONE,
  FAILED,
  messageAt,
  messageWord,
  NEXT,
  RUNNING,
  stateWord,
  type BuildJob,
  type WorkerMessage,
} from './build-job.js';

const workerEntry = new URL('./build-worker.js', import.meta.url);
const decoder = new TextDecoder();

export interface BuildPoolOptions {
  /** Threads that search a batch: the calling thread and threads - 1 workers. */
  readonly threads: number;
  /** Told once when a worker fails or stalls; the pool is closed then and builds go serial. */
  readonly onError?: (error: StrataError) => void;
  /** A batch that makes no progress for this long is abandoned. Default 60 s. */
  readonly stallMs?: number;
  /** The worker script; only tests pass another one. */
  readonly entry?: URL;
}

/**
 * The worker threads of parallel bulk builds (docs/decisions/0016), one pool per vector module,
 * shared by its collections. They start with the first batch and end with `close()`.
 *
 * `findNeighbours` searches on the calling thread too, then blocks it (Atomics.wait, which Node
 * allows on the main thread) until every point of the batch is searched: index writes stay synchronous, as the serial build
 * is, so that a collection applies its log in order with nothing interleaved. Workers claim points
 * through an atomic counter and report through atomic control words, not messages, which the
 * blocked event loop could not deliver.
 */
export class BuildPool {
  readonly threads: number;
  readonly #options: BuildPoolOptions;
  #workers: Worker[] | undefined;
  #closed = false;
  #points = 0;

  constructor(options: BuildPoolOptions) {
    this.threads = Math.max(1, Math.floor(options.threads));
    this.#options = options;
  }

  /** Points whose neighbours the workers searched (metrics: strata_vector_build_parallel_points). */
  get points(): number {
    return this.#points;
  }

  /** Whether builds may take the parallel path: not closed, and no worker failed. */
  get parallel(): boolean {
    return !this.#closed;
  }

  #start(): Worker[] {
    this.#workers ??= Array.from({ length: this.threads - 1 }, () => {
      const worker = new Worker(this.#options.entry ?? workerEntry);
      // An idle pool must not keep the process alive, and an error event without a listener
      // would be thrown: a worker that dies is reported and the pool closed instead.
      worker.unref();
      worker.on('error', (error) => {
        this.#fail(`a build worker failed: ${error.message}`);
      });
      return worker;
    });
    return this.#workers;
  }

  /**
   * Runs the job's units on the workers and, through `here(unit)`, on the calling thread (alone once
   * the pool is closed), each
   * claiming units until none is left, and waits until every claimed unit is done. Returns whether
   * every unit was done. A worker that fails or stalls is reported once and the pool closed; units
   * it never claimed are done by the others, so the answer is false only when one failed, or made
   * no progress for `stallMs`, in the middle of a unit.
   */
  run(job: BuildJob, here: (unit: number) => void): boolean {
    // Closed (or failed): the calling thread does every unit, and builds the same graph.
    const workers = this.parallel ? this.#start() : [];
    const control = new SharedArrayBuffer(controlBytes(workers.length));
    const words = new Int32Array(control);
    for (const [index, worker] of workers.entries()) {
      words[stateWord(index)] = RUNNING;
      const message: WorkerMessage = { job, worker: index, control };
      worker.postMessage(message);
    }
    for (let i = Atomics.add(words, NEXT, 1); i < job.units; i = Atomics.add(words, NEXT, 1)) {
      here(i);
      Atomics.add(words, DONE, 1);
    }
    const stallMs = this.#options.stallMs ?? 60_000;
    let done = Atomics.load(words, DONE);
    let progressAt = Date.now();
    for (let index = 0; index < workers.length; index++) {
      // Once every unit is done, a worker still running has claimed none and will write nothing:
      // one that is slow to start, or never answers, does not hold the build up.
      while (Atomics.load(words, stateWord(index)) === RUNNING && Atomics.load(words, DONE) < job.units) {
        Atomics.wait(words, stateWord(index), RUNNING, Math.min(stallMs, 1000));
        const now = Atomics.load(words, DONE);
        if (now !== done) {
          done = now;
          progressAt = Date.now();
        } else if (Date.now() - progressAt >= stallMs) {
          this.#fail(`a build batch made no progress for ${String(stallMs)} ms`);
          return false;
        }
      }
      if (Atomics.load(words, stateWord(index)) === FAILED) {
        const length = Atomics.load(words, messageWord(index));
        // TextDecoder refuses views of a SharedArrayBuffer: copy the bytes out first.
        const bytes = new Uint8Array(control, messageAt(workers.length, index), length).slice();
        this.#fail(`a build worker failed: ${decoder.decode(bytes)}`);
      }
    }
    // Units a failed worker never claimed: nobody else will, once the others have stopped.
    for (let i = Atomics.add(words, NEXT, 1); i < job.units; i = Atomics.add(words, NEXT, 1)) {
      here(i);
      Atomics.add(words, DONE, 1);
    }
    const complete = Atomics.load(words, DONE) === job.units;
    if (complete && job.kind === 'search' && workers.length > 0) this.#points += job.units;
    return complete;
  }

  #fail(reason: string): void {
    if (this.#closed) return;
    this.#options.onError?.(
      new StrataError('INTERNAL', `${reason}; bulk builds continue on one thread (vector.buildThreads)`),
    );
    void this.close();
  }

  /** Ends the workers; later builds are serial. */
  async close(): Promise<void> {
    this.#closed = true;
    const workers = this.#workers ?? [];
    this.#workers = undefined;
    await Promise.all(workers.map((worker) => worker.terminate()));
  }
}
