import { Worker } from 'node:worker_threads';
import { StrataError } from '../../kernel/index.js';
import type { Tensor } from '../tensor.js';
import {
  copied,
  withTransfer,
  type ValueMetadata,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
} from './onnx-protocol.js';

// Resolved next to this file, so it works from dist/ wherever the package is installed.
const workerEntry = new URL('./onnx-worker.js', import.meta.url);

interface Waiter {
  readonly resolve: (tensors: Tensor[]) => void;
  readonly reject: (error: StrataError) => void;
}

/** Which instance a worker serves, for messages and error details. */
export interface WorkerIdentity {
  readonly model: string;
  readonly version: number;
  readonly instance: number;
}

export interface ModelMetadata {
  readonly inputs: readonly ValueMetadata[];
  readonly outputs: readonly ValueMetadata[];
}

/**
 * The event-loop side of one worker that owns one InferenceSession. A worker that dies (an
 * uncaught error, an exit, out of memory) fails its in-flight requests with
 * MODEL_EXECUTION_FAILED and every later one too; the process and the other instances go on.
 */
export class OnnxWorker {
  readonly metadata: ModelMetadata;
  readonly #worker: Worker;
  readonly #identity: WorkerIdentity;
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 0;
  #dead: string | undefined;
  #closing: Promise<void> | undefined;

  /**
   * Starts a worker and resolves once its session is loaded, or rejects with the reason it is
   * not. `entry` is the worker script; only tests pass another one.
   */
  static async start(
    setup: WorkerSetup,
    identity: WorkerIdentity,
    entry: URL = workerEntry,
  ): Promise<OnnxWorker> {
    const worker = new Worker(entry, { workerData: setup });
    // Only our own listeners come off afterwards: Worker keeps internal ones (removeAllListeners
    // would stop its port from delivering messages).
    let onMessage: (reply: WorkerReply) => void = () => undefined;
    let onError: (error: Error) => void = () => undefined;
    let onExit: (code: number) => void = () => undefined;
    const first = await new Promise<WorkerReply>((resolve, reject) => {
      const fail = (message: string) => {
        reject(
          new StrataError(
            'MODEL_EXECUTION_FAILED',
            `${labelOf(identity)}: the ONNX Runtime worker ${message}`,
            {
              details: { ...identity },
            },
          ),
        );
      };
      onMessage = resolve;
      onError = (error) => {
        fail(`failed to start: ${error.message}`);
      };
      onExit = (code) => {
        fail(`exited with code ${String(code)} while loading the model`);
      };
      worker.once('message', onMessage).once('error', onError).once('exit', onExit);
    }).finally(() => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    });
    if (first.kind === 'ready') return new OnnxWorker(worker, identity, first);
    await worker.terminate();
    if (first.kind === 'failed')
      throw new StrataError(first.error.code, `${labelOf(identity)}: ${first.error.message}`, {
        details: { ...identity },
      });
    throw new StrataError(
      'INTERNAL',
      `${labelOf(identity)}: the ONNX Runtime worker answered '${first.kind}' first`,
    );
  }

  private constructor(worker: Worker, identity: WorkerIdentity, metadata: ModelMetadata) {
    this.#worker = worker;
    this.#identity = identity;
    this.metadata = { inputs: metadata.inputs, outputs: metadata.outputs };
    worker.on('message', (reply: WorkerReply) => {
      this.#settle(reply);
    });
    worker.on('error', (error) => {
      this.#die(`crashed: ${error.message}`);
    });
    worker.on('messageerror', (error) => {
      this.#die(`sent a message that could not be read: ${error.message}`);
    });
    worker.on('exit', (code) => {
      this.#die(`exited with code ${String(code)}`);
    });
  }

  /**
   * Runs the session on `inputs` and returns `outputs`, in that order. Takes ownership of the
   * input buffers: those that can be transferred are detached here and belong to the worker
   * afterwards (see `withTransfer`); callers must not reuse them.
   */
  run(inputs: readonly Tensor[], outputs: readonly string[]): Promise<Tensor[]> {
    if (this.#dead !== undefined) return Promise.reject(this.#deadError());
    const id = this.#nextId++;
    return new Promise<Tensor[]>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      const { tensors, transfer } = withTransfer(inputs);
      const message: WorkerRequest = { kind: 'run', id, inputs: tensors, outputs: [...outputs] };
      try {
        this.#worker.postMessage(message, transfer);
        return;
      } catch {
        // Node 21+ throws for a buffer marked untransferable (Node 20 copies it silently). The
        // throw comes before anything moved, so a copy of everything can still go.
      }
      try {
        this.#worker.postMessage({ ...message, inputs: copied(inputs) });
      } catch (error) {
        this.#waiting.delete(id);
        const reason = error instanceof Error ? error.message : String(error);
        reject(new StrataError('INVALID_ARGUMENT', `the inputs cannot be sent to the model: ${reason}`));
      }
    });
  }

  /** Frees the session and the worker; what unload() relies on to give ORT's memory back. */
  close(): Promise<void> {
    this.#closing ??= new Promise<void>((resolve) => {
      if (this.#dead !== undefined) {
        resolve();
        return;
      }
      this.#worker.once('exit', () => {
        resolve();
      });
      this.#worker.postMessage({ kind: 'close' } satisfies WorkerRequest);
    });
    return this.#closing;
  }

  /** Whether the worker exited or crashed; a dead worker answers every request with an error. */
  get dead(): boolean {
    return this.#dead !== undefined;
  }

  #settle(reply: WorkerReply): void {
    if (reply.kind === 'ready' || reply.id === null) return;
    const waiter = this.#waiting.get(reply.id);
    if (waiter === undefined) return;
    this.#waiting.delete(reply.id);
    if (reply.kind === 'result') waiter.resolve(reply.outputs);
    else
      waiter.reject(
        new StrataError(reply.error.code, reply.error.message, { details: { ...this.#identity } }),
      );
  }

  #die(reason: string): void {
    if (this.#dead !== undefined) return;
    this.#dead = this.#closing === undefined ? reason : 'was closed';
    const error = this.#deadError();
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }

  #deadError(): StrataError {
    return new StrataError(
      'MODEL_EXECUTION_FAILED',
      `${labelOf(this.#identity)}: the ONNX Runtime worker ${this.#dead ?? 'stopped'}; the instance no longer serves, reload the model`,
      { details: { ...this.#identity } },
    );
  }
}

function labelOf(identity: WorkerIdentity): string {
  return `model ${identity.model} version ${String(identity.version)} instance ${String(identity.instance)}`;
}
