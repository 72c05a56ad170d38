import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { StrataError, isStrataError } from '../../kernel/index.js';
import { MODEL_BACKEND_API_VERSION, type LoadRequest, type ModelBackend } from '../backend.js';
import { datatypes, type Tensor, type TensorSpec } from '../tensor.js';

/** What a handler's execute() receives besides its inputs. */
export interface HandlerContext {
  readonly model: string;
  readonly version: number;
  /** Output names the caller asked for; every declared output when empty. */
  readonly outputs: readonly string[];
  readonly parameters: Readonly<Record<string, unknown>>;
}

/**
 * A model written in TypeScript (or JavaScript): the default export of `<version>/<file>`
 * (`typescript.file` in the model config, `model.js` by default; compile TypeScript first).
 * Inputs arrive in the order the model declares them, batched along dimension 0 when the model
 * batches; execute() returns one tensor per output, each with one row per input row.
 */
export interface ModelHandler {
  /** Declared here or in the model config (the config wins). */
  readonly inputs?: readonly TensorSpec[];
  readonly outputs?: readonly TensorSpec[];
  /** Runs once per load, before the first request; its result is passed to dispose(). */
  setup?(context: { readonly directory: string; readonly model: string; readonly version: number }): unknown;
  execute(inputs: readonly Tensor[], context: HandlerContext): Tensor[] | Promise<Tensor[]>;
  dispose?(state: unknown): void | Promise<void>;
}

/** Types a handler module's default export. */
export function defineModel(handler: ModelHandler): ModelHandler {
  return handler;
}

/**
 * Handlers run on the event loop, so they suit light work (text preprocessing, small
 * arithmetic, composition); heavy compute belongs in an ONNX model, whose instances run in worker
 * threads. ES modules cannot be unloaded: a reload imports the file again only when it changed
 * (its modification time is part of the import URL), so editing a handler and reloading the model
 * takes effect, and unchanged reloads do not pile up module copies.
 */
export const typescriptBackend: ModelBackend = {
  apiVersion: MODEL_BACKEND_API_VERSION,
  name: 'typescript',
  capabilities: { batching: true, datatypes, devices: ['cpu'], describesModel: true },
  async load(request: LoadRequest) {
    const handler = await importHandler(join(request.directory, request.config.typescript.file));
    const inputs = request.config.inputs.length > 0 ? request.config.inputs : (handler.inputs ?? []);
    const outputs = request.config.outputs.length > 0 ? request.config.outputs : (handler.outputs ?? []);
    if (inputs.length === 0 || outputs.length === 0) {
      throw new StrataError(
        'CONFIG_INVALID',
        `model '${request.model}' declares no ${inputs.length === 0 ? 'inputs' : 'outputs'}; list them in its config or export them from the handler`,
      );
    }
    let state: unknown;
    try {
      state = await handler.setup?.({
        directory: request.directory,
        model: request.model,
        version: request.version,
      });
    } catch (error) {
      if (isStrataError(error)) throw error;
      throw new StrataError(
        'MODEL_EXECUTION_FAILED',
        `the setup() of model '${request.model}' version ${String(request.version)} threw: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error },
      );
    }
    return {
      inputs,
      outputs,
      createInstance: () =>
        Promise.resolve({
          execute: async (execute) => {
            try {
              return await handler.execute(execute.inputs, {
                model: request.model,
                version: request.version,
                outputs: execute.outputs,
                parameters: execute.parameters,
              });
            } catch (error) {
              if (isStrataError(error)) throw error;
              throw new StrataError(
                'MODEL_EXECUTION_FAILED',
                `the handler of model '${request.model}' version ${String(request.version)} threw: ${error instanceof Error ? error.message : String(error)}`,
                { cause: error },
              );
            }
          },
          close: () => Promise.resolve(),
        }),
      unload: async () => {
        await handler.dispose?.(state);
      },
    };
  },
};

async function importHandler(file: string): Promise<ModelHandler> {
  let modified: number;
  try {
    modified = (await stat(file)).mtimeMs;
  } catch (error) {
    throw new StrataError(
      'NOT_FOUND',
      `handler file ${file} does not exist; set typescript.file in the model config`,
      { cause: error },
    );
  }
  let module: { default?: Partial<ModelHandler> };
  try {
    module = (await import(`${pathToFileURL(file).href}?mtime=${String(modified)}`)) as typeof module;
  } catch (error) {
    throw new StrataError(
      'CONFIG_INVALID',
      `handler ${file} failed to import: ${error instanceof Error ? error.message : String(error)}; fix it and load the model again`,
      { cause: error },
    );
  }
  const handler = module.default;
  if (typeof handler?.execute !== 'function') {
    throw new StrataError(
      'CONFIG_INVALID',
      `${file} must default-export a model handler with an execute(inputs, context) function`,
    );
  }
  return handler as ModelHandler;
}
