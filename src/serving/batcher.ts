import { StrataError, toStrataError } from '../kernel/index.js';
import type { ExecuteRequest, ModelInstance } from './backend.js';
import { concatRows, elementCount, sliceRows, type Tensor } from './tensor.js';

export interface BatcherOptions {
  /** Rows one execution may carry; 0 = the model does not batch, every request runs alone. */
  readonly maxBatchSize: number;
  /** Dynamic batching; absent = requests are not merged even when the model could batch. */
  readonly dynamic?: {
    readonly maxQueueDelayUs: number;
    readonly preferredBatchSizes: readonly number[];
  };
  readonly maxQueueSize: number;
  /** Default queue timeout per request, µs; 0 = none. */
  readonly queueTimeoutUs: number;
  readonly priorityLevels: number;
  readonly defaultPriority: number;
  readonly observer?: BatchObserver;
}

/** What the batcher reports, for metrics. */
export interface BatchObserver {
  queued(pending: number): void;
  dispatched(batchRows: number, queueSeconds: readonly number[]): void;
  computed(seconds: number): void;
}

export interface BatchRequest extends ExecuteRequest {
  /** 1 (highest) .. priorityLevels; the model's default when absent. */
  readonly priority?: number;
  /** Overrides the model's queue timeout for this request, µs (Triton's `timeout` parameter). */
  readonly timeoutUs?: number;
}

interface Pending {
  readonly request: BatchRequest;
  readonly rows: number;
  /** Requests merge only when their keys are equal: same input names, datatypes, inner shapes. */
  readonly key: string;
  readonly enqueuedAt: number;
  timer: NodeJS.Timeout | undefined;
  readonly resolve: (tensors: Tensor[]) => void;
  readonly reject: (error: unknown) => void;
}

/** An instance and how many executions it holds now, of at most `depth` (ModelInstance.depth). */
interface Slot {
  readonly instance: ModelInstance;
  readonly depth: number;
  running: number;
}

/**
 * The dynamic batcher (Triton's dynamic_batching, owned by the core so that every backend gets
 * it): requests wait in per-priority FIFO queues; a free instance takes the oldest request of
 * the highest priority and as many compatible ones behind it as fit in max_batch_size. It
 * waits up to max_queue_delay for a fuller batch unless the batch already has the maximum or a
 * preferred size. Outputs are split back by rows, so each caller gets exactly its own rows.
 *
 * When every instance is busy, a batch that can no longer grow (batching off, or already full)
 * is handed to an instance that accepts a second execution (depth 2, the ONNX backend), where it
 * starts the moment the previous one ends instead of one event-loop round trip later. A batch
 * that could still grow keeps waiting here for a free instance, so batches stay as large.
 * Its wait inside the instance counts as compute time in the metrics, not queue time.
 */
export class Batcher {
  readonly #options: BatcherOptions;
  readonly #slots: readonly Slot[];
  /** Slots with nothing running, the longest idle first. */
  readonly #idle: Slot[];
  readonly #queues: Pending[][];
  #pending = 0;
  #running = 0;
  #delayTimer: NodeJS.Timeout | undefined;
  #delayTurn: NodeJS.Immediate | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #settled: (() => void) | undefined;

  constructor(instances: readonly ModelInstance[], options: BatcherOptions) {
    this.#options = options;
    this.#slots = instances.map((instance) => ({
      instance,
      depth: Math.max(1, instance.depth ?? 1),
      running: 0,
    }));
    this.#idle = [...this.#slots];
    this.#queues = Array.from({ length: options.priorityLevels }, () => []);
  }

  get pending(): number {
    return this.#pending;
  }

  submit(request: BatchRequest): Promise<Tensor[]> {
    if (this.#closed) return Promise.reject(new StrataError('NOT_READY', 'the model version is unloading'));
    const options = this.#options;
    const priority = request.priority ?? options.defaultPriority;
    if (!Number.isInteger(priority) || priority < 1 || priority > options.priorityLevels) {
      return Promise.reject(
        new StrataError(
          'INVALID_ARGUMENT',
          `priority ${String(priority)} is outside 1..${String(options.priorityLevels)} (1 is highest)`,
        ),
      );
    }
    const rows = options.maxBatchSize > 0 ? (request.inputs[0]?.shape[0] ?? 0) : 1;
    if (options.maxBatchSize > 0 && rows > options.maxBatchSize) {
      return Promise.reject(
        new StrataError(
          'INVALID_ARGUMENT',
          `the request has ${String(rows)} rows; the model's max_batch_size is ${String(options.maxBatchSize)}`,
        ),
      );
    }
    if (this.#pending >= options.maxQueueSize) {
      return Promise.reject(
        new StrataError(
          'OVERLOADED',
          `the model's queue is full (${String(options.maxQueueSize)} requests); retry later`,
          {
            details: { retryAfterSeconds: 1, maxQueueSize: options.maxQueueSize },
          },
        ),
      );
    }
    return new Promise<Tensor[]>((resolve, reject) => {
      const entry: Pending = {
        request,
        rows,
        key: batchKey(request),
        enqueuedAt: performance.now(),
        timer: undefined,
        resolve,
        reject,
      };
      const timeoutUs = request.timeoutUs ?? options.queueTimeoutUs;
      if (timeoutUs > 0) {
        entry.timer = setTimeout(() => {
          this.#expire(entry, priority, timeoutUs);
        }, timeoutUs / 1000);
      }
      this.#queues[priority - 1]?.push(entry);
      this.#pending++;
      options.observer?.queued(this.#pending);
      this.#pump();
    });
  }

  #expire(entry: Pending, priority: number, timeoutUs: number): void {
    const queue = this.#queues[priority - 1];
    const at = queue?.indexOf(entry) ?? -1;
    if (queue === undefined || at < 0) return;
    queue.splice(at, 1);
    this.#pending--;
    this.#options.observer?.queued(this.#pending);
    entry.reject(
      new StrataError(
        'QUEUE_TIMEOUT',
        `the request waited ${String(timeoutUs / 1000)} ms in the model's queue without a free instance; retry later or raise queue.timeout_us`,
        { details: { retryAfterSeconds: 1, timeoutUs } },
      ),
    );
    this.#notifyIfSettled();
  }

  // Starts as many executions as there are free instances and ready batches, then hands batches
  // that cannot grow to busy instances with room for one more.
  #pump(): void {
    for (;;) {
      // The longest-idle instance first: round-robin spreads load, and an instance that fails
      // fast does not take every request.
      const idle = this.#idle[0];
      const slot = idle ?? this.#slots.find((s) => s.running < s.depth);
      if (slot === undefined) return;
      const batch = this.#take(idle === undefined);
      if (batch === undefined) return;
      if (idle !== undefined) this.#idle.shift();
      this.#run(slot, batch);
    }
  }

  // The next batch to run now, or undefined when the queue is empty or the head should wait.
  // With `complete`, only a batch that can no longer grow.
  #take(complete: boolean): Pending[] | undefined {
    const head = this.#queues.find((q) => q.length > 0)?.[0];
    if (head === undefined) return undefined;
    const { dynamic, maxBatchSize } = this.#options;
    if (dynamic === undefined || maxBatchSize === 0) return this.#remove([head]);
    const batch: Pending[] = [];
    let rows = 0;
    for (const queue of this.#queues) {
      for (const entry of queue) {
        if (entry.key !== head.key || rows + entry.rows > maxBatchSize) continue;
        batch.push(entry);
        rows += entry.rows;
      }
    }
    const waitedUs = (performance.now() - head.enqueuedAt) * 1000;
    const full = rows === maxBatchSize || dynamic.preferredBatchSizes.includes(rows);
    if (!full && complete) return undefined;
    if (!full && waitedUs < dynamic.maxQueueDelayUs) {
      this.#pumpIn((dynamic.maxQueueDelayUs - waitedUs) / 1000);
      return undefined;
    }
    return this.#remove(batch);
  }

  // Node's timers have millisecond resolution and fire no sooner than 1 ms, so a timer alone would
  // stretch a delay of 200 µs to 1-2 ms, and a lone request's latency with it. A remainder under
  // 1 ms is waited out one event-loop turn at a time instead: sockets are still read between
  // turns, and the loop stays busy for at most that remainder.
  #pumpIn(ms: number): void {
    if (this.#delayTimer !== undefined || this.#delayTurn !== undefined) return;
    const pump = (): void => {
      this.#delayTimer = undefined;
      this.#delayTurn = undefined;
      this.#pump();
    };
    if (ms >= 1) this.#delayTimer = setTimeout(pump, ms);
    else this.#delayTurn = setImmediate(pump);
  }

  #remove(batch: Pending[]): Pending[] {
    for (const entry of batch) {
      for (const queue of this.#queues) {
        const at = queue.indexOf(entry);
        if (at >= 0) {
          queue.splice(at, 1);
          break;
        }
      }
      if (entry.timer !== undefined) clearTimeout(entry.timer);
    }
    this.#pending -= batch.length;
    const now = performance.now();
    this.#options.observer?.queued(this.#pending);
    this.#options.observer?.dispatched(
      batch.reduce((n, e) => n + e.rows, 0),
      batch.map((e) => (now - e.enqueuedAt) / 1000),
    );
    return batch;
  }

  #run(slot: Slot, batch: Pending[]): void {
    this.#running++;
    slot.running++;
    const started = performance.now();
    void this.#execute(slot.instance, batch)
      .catch((error: unknown) => {
        // A bug in the split (a malformed backend answer) must still settle every caller.
        const failure = toStrataError(error);
        for (const entry of batch) entry.reject(failure);
      })
      .finally(() => {
        this.#options.observer?.computed((performance.now() - started) / 1000);
        this.#running--;
        slot.running--;
        if (slot.running === 0) this.#idle.push(slot);
        this.#pump();
        this.#notifyIfSettled();
      });
  }

  // One execution. When a merged batch fails with a non-retryable error (a throwing handler, an
  // input the runtime rejects), each request is run alone so that a bad request fails only
  // itself; a retryable failure (remote down, timeout) would fail them all alike, so it is
  // passed on without hammering the backend once per request.
  async #execute(instance: ModelInstance, batch: Pending[]): Promise<void> {
    const first = batch[0];
    if (first === undefined) return;
    if (batch.length === 1) {
      try {
        first.resolve(
          checkOutputs(
            await instance.execute(first.request),
            this.#options.maxBatchSize > 0 ? first.rows : undefined,
          ),
        );
      } catch (error) {
        first.reject(toStrataError(error));
      }
      return;
    }
    const total = batch.reduce((n, e) => n + e.rows, 0);
    let outputs: Tensor[];
    try {
      outputs = checkOutputs(
        await instance.execute({
          inputs: first.request.inputs.map((input, i) =>
            concatRows(
              input.name,
              batch.map((e) => e.request.inputs[i] ?? input),
            ),
          ),
          outputs: first.request.outputs,
          parameters: first.request.parameters,
        }),
        total,
      );
    } catch (error) {
      const failure = toStrataError(error);
      if (failure.retryable) {
        for (const entry of batch) entry.reject(failure);
        return;
      }
      for (const entry of batch) await this.#execute(instance, [entry]);
      return;
    }
    let row = 0;
    for (const entry of batch) {
      entry.resolve(outputs.map((o) => sliceRows(o, row, row + entry.rows)));
      row += entry.rows;
    }
  }

  /** Stops taking requests and resolves once every queued and running request has settled. */
  close(): Promise<void> {
    this.#closed = true;
    this.#closing ??= new Promise((resolve) => {
      this.#settled = resolve;
      this.#notifyIfSettled();
    });
    return this.#closing;
  }

  #notifyIfSettled(): void {
    if (this.#settled !== undefined && this.#pending === 0 && this.#running === 0) {
      if (this.#delayTimer !== undefined) clearTimeout(this.#delayTimer);
      if (this.#delayTurn !== undefined) clearImmediate(this.#delayTurn);
      this.#settled();
      this.#settled = undefined;
    }
  }
}

function batchKey(request: BatchRequest): string {
  const parts = request.inputs.map((t) => `${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`);
  parts.push(`->${[...request.outputs].sort().join(',')}`);
  if (Object.keys(request.parameters).length > 0) parts.push(JSON.stringify(request.parameters));
  return parts.join('|');
}

/**
 * A backend's answer as the core relies on it: an array of tensors whose element counts match
 * their shapes and, for a batch, one row per input row. Anything else is the backend's fault.
 */
function checkOutputs(outputs: unknown, rows: number | undefined): Tensor[] {
  const fail = (why: string): never => {
    throw new StrataError('MODEL_EXECUTION_FAILED', `the model returned a malformed answer: ${why}`);
  };
  if (!Array.isArray(outputs)) return fail('expected an array of output tensors');
  for (const output of outputs as Record<string, unknown>[]) {
    const { name, shape, data } = output as {
      name: unknown;
      shape: unknown;
      data: { length: number } | null;
    };
    if (typeof name !== 'string' || !Array.isArray(shape) || typeof data !== 'object' || data === null)
      return fail('every output needs a name, a shape and data');
    if (data.length !== elementCount(shape))
      fail(`output '${name}' has ${String(data.length)} elements for shape [${shape.join(', ')}]`);
    if (rows !== undefined && shape[0] !== rows)
      fail(
        `output '${name}' has ${String(shape[0])} rows for a batch of ${String(rows)}; a batching model must return one row per input row`,
      );
  }
  return outputs as Tensor[];
}
