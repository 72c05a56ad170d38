import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { createLogger } from '../../src/kernel/index.js';
import { ServingModule, type ServingService } from '../../src/serving/index.js';

/**
 * Writes a model into a repository: `<root>/<name>/config.yaml` and, per version, the files
 * given (for a TypeScript-handler model, `model.js` holding the handler's source).
 */
export async function writeModel(
  root: string,
  name: string,
  config: Readonly<Record<string, unknown>>,
  versions: Readonly<Record<number, Readonly<Record<string, string | Uint8Array>>>>,
): Promise<void> {
  const dir = join(root, name);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'config.yaml'), stringify(config));
  for (const [version, files] of Object.entries(versions)) {
    await mkdir(join(dir, version), { recursive: true });
    for (const [file, contents] of Object.entries(files)) await writeFile(join(dir, version, file), contents);
  }
}

/**
 * A handler that multiplies its FP32 input `x` by `factor` into output `y`, row for row, and
 * records each batch's row count on globalThis.__strataBatches[name] so tests can see batching.
 * Inputs containing `poison` make it throw; a `delayMs` parameter makes it wait.
 */
export function scaleHandler(
  name: string,
  factor: number,
  options: { poison?: number; setupMs?: number } = {},
): string {
  return `
const batches = (globalThis.__strataBatches ??= {});
batches[${JSON.stringify(name)}] = [];
export default {
  async setup() { await new Promise((r) => setTimeout(r, ${String(options.setupMs ?? 0)})); },
  async execute(inputs, context) {
    const [x] = inputs;
    batches[${JSON.stringify(name)}].push(x.shape[0]);
    const delay = context.parameters.delayMs;
    if (typeof delay === 'number') await new Promise((r) => setTimeout(r, delay));
    ${options.poison === undefined ? '' : `if (Array.from(x.data).includes(${String(options.poison)})) throw new Error('poisoned input');`}
    const y = new Float32Array(x.data.length);
    for (let i = 0; i < y.length; i++) y[i] = x.data[i] * ${String(factor)};
    return [{ name: 'y', datatype: 'FP32', shape: [...x.shape], data: y }];
  },
};
`;
}

/** Batch row counts a scaleHandler has seen. */
export function seenBatches(name: string): number[] {
  const all = (globalThis as { __strataBatches?: Record<string, number[]> }).__strataBatches;
  return all?.[name] ?? [];
}

export function scaleConfig(extra: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    backend: 'typescript',
    max_batch_size: 16,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }],
    ...extra,
  };
}

/** A started serving module over `repo`, silent, with its own metrics registry. */
export async function startServing(
  repo: string,
  options: { startupModels?: readonly string[]; responseCacheBytes?: number } = {},
): Promise<{ module: ServingModule; serving: ServingService; registry: Registry }> {
  const registry = new Registry();
  const module = new ServingModule({
    dataDir: repo,
    config: {
      repository: repo,
      startupModels: [...(options.startupModels ?? ['*'])],
      responseCacheBytes: options.responseCacheBytes ?? 1 << 20,
    },
    registry,
    logger: createLogger('silent'),
    secrets: () => undefined,
  });
  await module.start();
  return { module, serving: module.service, registry };
}

/** Copies each input `in_<DATATYPE>` to output `out_<DATATYPE>`, returning only the outputs asked for. */
export const identityHandler = `
export default {
  execute(inputs, context) {
    return inputs
      .map((t) => ({ ...t, name: t.name.replace(/^in_/, 'out_') }))
      .filter((t) => context.outputs.length === 0 || context.outputs.includes(t.name));
  },
};
`;
