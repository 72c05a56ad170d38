// A build worker (docs/decisions/0016): instantiates the shared-memory module over an index's
// memory for each phase of a batch, with its own globals and scratch, and runs findNeighbours for
// the points it claims (reading the graph, writing only its scratch and the points' output), or
// linkPart for the parts of the linking it claims.
import { parentPort } from 'node:worker_threads';
import { wasmApi } from '../engine/wasm-api.js';
import type { SharedWasmEngine } from '../engine/wasm-engine.js';
import {
  DONE,
  FAILED,
  FINISHED,
  MESSAGE_BYTES,
  messageAt,
  messageWord,
  NEXT,
  stateWord,
  type WorkerMessage,
} from './build-job.js';

interface Exports {
  readonly configure: (...args: number[]) => void;
  readonly findNeighbours: SharedWasmEngine['findNeighbours'];
  readonly linkPart: SharedWasmEngine['linkPart'];
}

const encoder = new TextEncoder();

function run({ job, worker }: WorkerMessage, control: Int32Array): void {
  const api = wasmApi();
  if (api === undefined) throw new Error('WebAssembly is not available in the build worker');
  const exports = new api.Instance(job.module, { env: { memory: job.memory } }).exports as Exports;
  const { graph } = job;
  const region = job.regions[worker];
  if (region === undefined) throw new Error(`no scratch region for build worker ${String(worker)}`);
  exports.configure(
    graph.kernel,
    graph.dim,
    graph.m,
    graph.efConstruction,
    graph.capacity,
    graph.nodes,
    graph.recBytes,
    graph.headerOffset,
    region.visited,
    graph.arena,
    region.scratch,
    graph.resultCap,
  );
  // Units are claimed one at a time, and only once the instance is ready, so that a worker that
  // cannot start leaves its share to the others; the output of each depends only on the unit,
  // never on who ran it.
  for (let i = Atomics.add(control, NEXT, 1); i < job.units; i = Atomics.add(control, NEXT, 1)) {
    if (job.kind === 'search') {
      exports.findNeighbours(
        job.batchStart + i,
        job.entryPoint,
        job.entryLevel,
        job.batchStart,
        job.out + i * job.stride,
      );
    } else {
      exports.linkPart(job.batchStart, job.count, job.out, job.stride, i, job.units);
    }
    Atomics.add(control, DONE, 1);
  }
}

parentPort?.on('message', (message: WorkerMessage) => {
  const control = new Int32Array(message.control);
  const workers = message.job.regions.length;
  let state = FINISHED;
  try {
    run(message, control);
  } catch (error) {
    state = FAILED;
    const text = encoder
      .encode(error instanceof Error ? error.message : String(error))
      .subarray(0, MESSAGE_BYTES);
    new Uint8Array(message.control, messageAt(workers, message.worker), text.byteLength).set(text);
    Atomics.store(control, messageWord(message.worker), text.byteLength);
  }
  Atomics.store(control, stateWord(message.worker), state);
  Atomics.notify(control, stateWord(message.worker));
});
