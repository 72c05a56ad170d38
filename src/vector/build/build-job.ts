import type { WasmMemory, WasmModule } from '../engine/wasm-api.js';

/**
 * One phase of a batch of a parallel bulk build (docs/decisions/0016), as the threads see it:
 * `search` runs findNeighbours (wasm/hnsw.as) for slots batchStart .. batchStart + count - 1 over
 * `memory`, each writing its selections at out + i * stride; `link` runs linkPart for each of
 * `units` parts. The threads claim units (points, or parts) one at a time until none is left.
 */
export interface BuildJob {
  readonly kind: 'search' | 'link';
  readonly units: number;
  readonly module: WasmModule;
  readonly memory: WasmMemory;
  /** configure()'s arguments except the scratch (see `configureArgs`). */
  readonly graph: GraphShape;
  /** Per worker: where its visited marks (zeroed) and its scratch start. */
  readonly regions: readonly WorkerRegion[];
  readonly entryPoint: number;
  readonly entryLevel: number;
  readonly batchStart: number;
  readonly count: number;
  readonly out: number;
  readonly stride: number;
}

export interface GraphShape {
  readonly kernel: number;
  readonly dim: number;
  readonly m: number;
  readonly efConstruction: number;
  readonly capacity: number;
  readonly nodes: number;
  readonly recBytes: number;
  readonly headerOffset: number;
  readonly arena: number;
  readonly resultCap: number;
}

export interface WorkerRegion {
  readonly visited: number;
  readonly scratch: number;
}

/** The message a worker receives: the job, its number and the control words it reports through. */
export interface WorkerMessage {
  readonly job: BuildJob;
  readonly worker: number;
  readonly control: SharedArrayBuffer;
}

/**
 * The control words (Int32Array over a SharedArrayBuffer): the next unit to claim, the units
 * done (the main thread's progress check), then one state per worker, then the byte length of
 * its error message, which lies at MESSAGE_BYTES * worker in the message buffer after the words.
 */
export const NEXT = 0;
export const DONE = 1;
export const stateWord = (worker: number): number => 2 + 2 * worker;
export const messageWord = (worker: number): number => 3 + 2 * worker;
export const MESSAGE_BYTES = 512;
export const controlBytes = (workers: number): number => 4 * (2 + 2 * workers) + MESSAGE_BYTES * workers;
export const messageAt = (workers: number, worker: number): number =>
  4 * (2 + 2 * workers) + MESSAGE_BYTES * worker;

export const RUNNING = 1;
export const FINISHED = 2;
export const FAILED = 3;
