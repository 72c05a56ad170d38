import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { StrataError } from '../../kernel/index.js';
import {
  MODEL_BACKEND_API_VERSION,
  type BackendCapabilities,
  type ExecuteRequest,
  type LoadRequest,
  type LoadedModel,
  type ModelBackend,
  type ModelInstance,
} from '../backend.js';
import { datatypes, type Tensor, type TensorSpec } from '../tensor.js';
import { specsFromModel, reconcile } from './onnx-metadata.js';
import { OnnxWorker } from './onnx-instance.js';
import type { WorkerSetup } from './onnx-protocol.js';

/**
 * The ONNX backend: each instance is a worker thread owning one onnxruntime-node
 * InferenceSession (onnx-worker.ts). load() starts the first of them to validate the model and
 * read its inputs and outputs; that worker then becomes instance 0, so a large model is not
 * loaded twice before it serves.
 */
export const onnxBackend: ModelBackend = {
  apiVersion: MODEL_BACKEND_API_VERSION,
  name: 'onnx',
  capabilities: {
    batching: true,
    datatypes,
    devices: cudaInstalled() ? ['cpu', 'cuda'] : ['cpu'],
    describesModel: true,
  } satisfies BackendCapabilities,
  load,
};

/**
 * The npm package ships the CUDA provider's libraries only when installed with
 * `--onnxruntime-node-install=cuda12` (they are too large for the registry), so the provider is
 * there exactly when its library sits beside the binding. Checked on disk so that the event loop
 * never loads the native runtime itself.
 */
function cudaInstalled(): boolean {
  try {
    const packageDir = dirname(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')));
    const binDir = join(packageDir, 'bin', 'napi-v6', process.platform, process.arch);
    const library =
      process.platform === 'win32' ? 'onnxruntime_providers_cuda.dll' : 'libonnxruntime_providers_cuda.so';
    return existsSync(join(binDir, library));
  } catch {
    return false;
  }
}

async function load(request: LoadRequest): Promise<LoadedModel> {
  const { config } = request;
  const path = join(request.directory, config.onnx.file);
  await checkModelFile(path);
  const provider = config.onnx.execution_provider;
  if (!onnxBackend.capabilities.devices.includes(provider)) {
    throw new StrataError(
      'CONFIG_INVALID',
      `model ${request.model}: onnx.execution_provider '${provider}' is not installed; this installation has ${onnxBackend.capabilities.devices.join(', ')}. Set onnx.execution_provider to 'cpu', or reinstall onnxruntime-node with --onnxruntime-node-install=cuda12`,
      { details: { model: request.model, provider, available: onnxBackend.capabilities.devices } },
    );
  }
  const setup: WorkerSetup = {
    path,
    provider,
    intraOpThreads: config.onnx.intra_op_threads,
    pollUs: config.onnx.poll_us,
  };
  const identity = { model: request.model, version: request.version };
  const first = await OnnxWorker.start(setup, { ...identity, instance: 0 });
  let inputs: readonly TensorSpec[];
  let outputs: readonly TensorSpec[];
  try {
    const batch = config.max_batch_size;
    inputs = reconcile(
      config.inputs,
      specsFromModel(first.metadata.inputs, 'input', batch, path),
      'input',
      path,
    );
    outputs = reconcile(
      config.outputs,
      specsFromModel(first.metadata.outputs, 'output', batch, path),
      'output',
      path,
    );
  } catch (error) {
    await first.close();
    throw error;
  }
  request.logger.debug(
    { model: request.model, version: request.version, inputs, outputs },
    'onnx model described',
  );

  // The worker that described the model is handed to the first createInstance() call.
  let spare: OnnxWorker | undefined = first;
  const served = outputs.map((o) => o.name);
  return {
    inputs,
    outputs,
    async createInstance(index) {
      const start = (): Promise<OnnxWorker> => OnnxWorker.start(setup, { ...identity, instance: index });
      const worker = spare ?? (await start());
      spare = undefined;
      return onnxInstance(worker, served, start);
    },
    async unload() {
      const unused = spare;
      spare = undefined;
      await unused?.close();
    },
  };
}

async function checkModelFile(path: string): Promise<void> {
  try {
    const stats = await stat(path);
    if (stats.isFile()) return;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new StrataError(
        'NOT_FOUND',
        `the ONNX model file ${path} does not exist; put the model there or set onnx.file in the model's config`,
        { details: { path }, cause: error },
      );
    throw new StrataError(
      'UNAVAILABLE',
      `the ONNX model file ${path} cannot be read: ${(error as Error).message}`,
      {
        details: { path },
        cause: error,
      },
    );
  }
  throw new StrataError(
    'CONFIG_INVALID',
    `the ONNX model path ${path} is not a file; set onnx.file in the model's config to the .onnx file`,
    { details: { path } },
  );
}

/**
 * Requests name the outputs they want, all served ones when none; unknown names fail here with
 * the list. A worker that crashed (a native fault in ONNX Runtime, an out-of-memory kill) fails
 * the requests it held and is replaced before the next one, so one crash does not take the
 * instance out of service for good.
 */
export function onnxInstance(
  first: OnnxWorker,
  served: readonly string[],
  start: () => Promise<OnnxWorker>,
): ModelInstance {
  let worker = first;
  let replacing: Promise<OnnxWorker> | undefined;
  let closed = false;
  return {
    // The worker runs requests one at a time in arrival order; the second waits in its port.
    depth: 2,
    async execute(request: ExecuteRequest): Promise<Tensor[]> {
      const unknown = request.outputs.filter((name) => !served.includes(name));
      if (unknown.length > 0) {
        throw new StrataError(
          'INVALID_ARGUMENT',
          `the model has no output ${unknown.map((n) => `'${n}'`).join(', ')}; its outputs are: ${served.join(', ')}`,
          { details: { unknown, available: served } },
        );
      }
      if (worker.dead && !closed) {
        // With two executions in flight both may find the worker dead: one replacement serves both.
        replacing ??= start().finally(() => {
          replacing = undefined;
        });
        worker = await replacing;
      }
      return worker.run(request.inputs, request.outputs.length > 0 ? request.outputs : served);
    },
    close: () => {
      closed = true;
      return worker.close();
    },
  };
}
