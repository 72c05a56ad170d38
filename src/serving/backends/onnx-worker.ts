import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
// Types only from the rest of Strata: a runtime import of ../tensor.js would pull the kernel
// (pino, TypeBox) into every worker.
import type { Datatype, Tensor, TensorData } from '../tensor.js';
import {
  copied,
  datatypeOf,
  ortTypes,
  withTransfer,
  type WireError,
  type WorkerReply,
  type WorkerRequest,
  type WorkerSetup,
} from './onnx-protocol.js';

/**
 * The worker entry of one ONNX model instance (see onnx-protocol.ts for the messages). It owns
 * one InferenceSession; `session.run()` computes synchronously on this thread, which is why the
 * session lives here and not on the event loop (ARCHITECTURE.md §5). Requests are handled one at
 * a time in arrival order; a failed run is answered and the worker keeps serving.
 */
if (parentPort === null) throw new Error('onnx-worker.js runs only as a worker thread');
const port: MessagePort = parentPort;
const setup = workerData as WorkerSetup;

function post(reply: WorkerReply): void {
  port.postMessage(reply);
}

let session: InferenceSession;
try {
  session = await InferenceSession.create(setup.path, {
    executionProviders: [setup.provider],
    intraOpNumThreads: setup.intraOpThreads,
    // One request runs at a time per instance; parallelism comes from instance_count.
    interOpNumThreads: 1,
    executionMode: 'sequential',
  });
} catch (error) {
  post({ kind: 'failed', id: null, error: loadError(error) });
  process.exit(0);
}
post({ kind: 'ready', inputs: [...session.inputMetadata], outputs: [...session.outputMetadata] });

port.on('message', (request: WorkerRequest) => {
  void handle(request);
});

let polling = false;

async function handle(request: WorkerRequest): Promise<void> {
  if (request.kind === 'close') {
    // Releasing before exit frees ORT's arena deterministically instead of at isolate teardown.
    void session.release().finally(() => process.exit(0));
    return;
  }
  await run(request.id, request.inputs, request.outputs);
  if (!polling) await poll();
}

// Waking a sleeping thread costs about 0.1 ms, as much as a small model's run. A caller that
// sends its next request right after an answer (a closed loop, a busy batcher) finds the worker
// still polling and skips that wake-up. The poll is bounded by setup.pollUs after each answer.
async function poll(): Promise<void> {
  if (setup.pollUs === 0) return;
  polling = true;
  let until = performance.now() + setup.pollUs / 1000;
  while (performance.now() < until) {
    const next = receiveMessageOnPort(port) as { message: WorkerRequest } | undefined;
    if (next === undefined) continue;
    await handle(next.message);
    until = performance.now() + setup.pollUs / 1000;
  }
  polling = false;
}

async function run(id: number, inputs: Tensor[], fetches: string[]): Promise<void> {
  const feeds: Record<string, OrtTensor> = {};
  for (const tensor of inputs) {
    try {
      feeds[tensor.name] = toOrt(tensor);
    } catch (error) {
      // The ort.Tensor constructor checks that the data's array type and length fit the datatype and shape.
      const message = `input '${tensor.name}' (${tensor.datatype}, shape [${tensor.shape.join(', ')}]) cannot be passed to ONNX Runtime: ${messageOf(error)}`;
      post({ kind: 'failed', id, error: { code: 'INVALID_ARGUMENT', message } });
      return;
    }
  }
  let results: InferenceSession.ReturnType;
  try {
    results = await session.run(feeds, fetches);
  } catch (error) {
    post({ kind: 'failed', id, error: runError(error) });
    return;
  }
  const outputs: Tensor[] = [];
  for (const name of fetches) {
    const value = results[name];
    const tensor = value === undefined ? undefined : fromOrt(name, value);
    if (tensor === undefined) {
      const type = value?.type ?? 'nothing';
      const message = `output '${name}' came back as ${type}, which Strata cannot return`;
      post({ kind: 'failed', id, error: { code: 'MODEL_EXECUTION_FAILED', message } });
      return;
    }
    outputs.push(tensor);
  }
  const reply = withTransfer(outputs);
  try {
    port.postMessage({ kind: 'result', id, outputs: reply.tensors } satisfies WorkerReply, reply.transfer);
  } catch {
    // As on the other side (OnnxWorker.run): a buffer that refuses to move goes as a copy.
    post({ kind: 'result', id, outputs: copied(outputs) });
  }
}

function toOrt(tensor: Tensor): OrtTensor {
  // ORT takes float16 as the raw bits in a Uint16Array, and bool as one byte per element.
  return new OrtTensor(ortTypes[tensor.datatype], tensor.data, [...tensor.shape]);
}

function fromOrt(name: string, value: OrtTensor): Tensor | undefined {
  const datatype: Datatype | undefined = datatypeOf(value.type);
  if (datatype === undefined) return undefined;
  let data: TensorData = value.data;
  // Where the runtime has Float16Array, ORT hands float16 back as one: keep the raw bits instead.
  if (datatype === 'FP16' && !(data instanceof Uint16Array)) {
    const half = data as unknown as Uint16Array;
    data = new Uint16Array(half.buffer, half.byteOffset, half.length);
  }
  return { name, datatype, shape: [...value.dims], data };
}

// ORT's node binding reports every failure as a plain Error with its message only (the status
// code is lost), so input problems are told apart by the messages ORT's input checks produce.
const inputProblems = [
  /Unexpected input data type/,
  /Invalid rank for input/,
  /invalid dimensions for input/,
  /Invalid input name/,
  /is missing in 'feeds'/,
  /invalid output name/,
];

function runError(error: unknown): WireError {
  const message = messageOf(error);
  if (error instanceof TypeError || error instanceof RangeError || inputProblems.some((p) => p.test(message)))
    return { code: 'INVALID_ARGUMENT', message: `ONNX Runtime rejected the inputs: ${message}` };
  return { code: 'MODEL_EXECUTION_FAILED', message: `ONNX Runtime failed to run the model: ${message}` };
}

function loadError(error: unknown): WireError {
  const message = messageOf(error);
  if (setup.provider === 'cuda' && /cuda|provider/i.test(message)) {
    return {
      code: 'UNAVAILABLE',
      message: `the CUDA execution provider could not start for ${setup.path}: ${message}; check the GPU and CUDA libraries, or set onnx.execution_provider to 'cpu'`,
    };
  }
  return {
    code: 'CONFIG_INVALID',
    message: `ONNX Runtime cannot load ${setup.path}: ${message}; check that the file is a valid ONNX model`,
  };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
