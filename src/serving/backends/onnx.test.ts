import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  identityModel,
  mlpModel,
  mlpReference,
  tempDir,
  writeModel,
  type MlpModel,
} from '../../../test/support/onnx-models.js';
import { createLogger, isStrataError } from '../../kernel/index.js';
import type { LoadedModel, ModelInstance } from '../backend.js';
import { parseModelConfig } from '../model-config.js';
import { datatypes, type Datatype, type Tensor, type TensorDataOf } from '../tensor.js';
import { onnxBackend } from './index.js';

const logger = createLogger('silent');

/** A temp directory holding `bytes` as model.onnx, removed after the test. */
async function modelDir(t: TestContext, bytes: Uint8Array): Promise<string> {
  const dir = await tempDir();
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeModel(dir, 'model.onnx', bytes);
  return dir;
}

function load(dir: string, config: Record<string, unknown> = {}): Promise<LoadedModel> {
  const parsed = parseModelConfig({ backend: 'onnx', ...config }, 'test config');
  return onnxBackend.load({
    model: 'm',
    version: 1,
    directory: dir,
    config: parsed,
    logger,
    secrets: () => undefined,
  });
}

/** Loads and starts `count` instances; all are closed and the model unloaded after the test. */
async function serve(t: TestContext, dir: string, config: Record<string, unknown>, count = 1) {
  const model = await load(dir, config);
  const instances: ModelInstance[] = [];
  t.after(async () => {
    await Promise.all(instances.map((i) => i.close()));
    await model.unload();
  });
  for (let i = 0; i < count; i++) instances.push(await model.createInstance(i));
  return { model, instances };
}

function mlpInput(rows: number, width: number): Tensor {
  const data = Float32Array.from({ length: rows * width }, (_, i) => Math.sin(i * 0.37) * 2);
  return { name: 'input', datatype: 'FP32', shape: [rows, width], data };
}

function assertClose(actual: Float32Array, expected: Float32Array, tolerance: number): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] ?? 0;
    const diff = Math.abs((actual[i] ?? NaN) - e);
    assert.ok(
      diff <= tolerance * Math.max(1, Math.abs(e)),
      `element ${String(i)}: ${String(actual[i])} vs ${String(e)}`,
    );
  }
}

async function execute(instance: ModelInstance, inputs: Tensor[], outputs: string[] = []): Promise<Tensor[]> {
  return instance.execute({ inputs, outputs, parameters: {} });
}

// Six values per datatype at the edges of its range: 64-bit integers beyond 2^53, negatives,
// FP16 bit patterns (1, -2, max, smallest subnormal, -0, +inf), non-ASCII strings.
const samples: { readonly [D in Datatype]: TensorDataOf[D] } = {
  BOOL: Uint8Array.of(1, 0, 0, 1, 1, 0),
  UINT8: Uint8Array.of(0, 1, 127, 128, 254, 255),
  UINT16: Uint16Array.of(0, 1, 0x7fff, 0x8000, 0xfffe, 0xffff),
  UINT32: Uint32Array.of(0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 2, 2 ** 32 - 1),
  UINT64: BigUint64Array.of(0n, 1n, 2n ** 53n + 1n, 2n ** 63n, 2n ** 64n - 2n, 2n ** 64n - 1n),
  INT8: Int8Array.of(-128, -1, 0, 1, 126, 127),
  INT16: Int16Array.of(-32768, -1, 0, 1, 32766, 32767),
  INT32: Int32Array.of(-(2 ** 31), -1, 0, 1, 2 ** 31 - 2, 2 ** 31 - 1),
  INT64: BigInt64Array.of(-(2n ** 63n), -(2n ** 53n) - 1n, -1n, 0n, 2n ** 53n + 1n, 2n ** 63n - 1n),
  FP16: Uint16Array.of(0x3c00, 0xc000, 0x7bff, 0x0001, 0x8000, 0x7c00),
  FP32: Float32Array.of(-1.5, 0, 3.4e38, -1e-45, Math.fround(Math.PI), Infinity),
  FP64: Float64Array.of(-1.5, Number.MIN_VALUE, Number.MAX_VALUE, Math.PI, -0, -Infinity),
  BYTES: ['', 'a', 'héllo', '日本語', 'emoji 🎉', 'x'.repeat(300)],
};

function identityInputs(shape: number[]): Tensor[] {
  // Copies: execute() takes ownership of (and detaches) the buffers it is given.
  return datatypes.map((d) => ({ name: `input_${d}`, datatype: d, shape, data: samples[d].slice() }));
}

describe('onnx backend', () => {
  it('describes itself: batching, every datatype, cpu always', () => {
    assert.equal(onnxBackend.name, 'onnx');
    assert.equal(onnxBackend.capabilities.batching, true);
    assert.equal(onnxBackend.capabilities.describesModel, true);
    assert.deepEqual([...onnxBackend.capabilities.datatypes].sort(), [...datatypes].sort());
    assert.ok(onnxBackend.capabilities.devices.includes('cpu'));
  });

  it('computes the MLP as the TypeScript reference does, at batch 1 and 32', async (t) => {
    const mlp: MlpModel = mlpModel({ input: 16, hidden: [32, 24], output: 5, seed: 7, batch: true });
    const dir = await modelDir(t, mlp.bytes);
    const { model, instances } = await serve(t, dir, { max_batch_size: 32 });
    assert.deepEqual(model.inputs, [{ name: 'input', datatype: 'FP32', shape: [16] }]);
    assert.deepEqual(model.outputs, [{ name: 'output', datatype: 'FP32', shape: [5] }]);
    const [instance] = instances;
    assert.ok(instance);
    for (const rows of [1, 32]) {
      const input = mlpInput(rows, 16);
      const expected = mlpReference(mlp.layers, input.data as Float32Array, rows);
      const [output] = await execute(instance, [input]);
      assert.equal(output?.name, 'output');
      assert.equal(output.datatype, 'FP32');
      assert.deepEqual(output.shape, [rows, 5]);
      assertClose(output.data as Float32Array, expected, 1e-4);
    }
  });

  it('round-trips every datatype through Identity, with -1 for symbolic and unknown dimensions', async (t) => {
    const dir = await modelDir(t, identityModel());
    const { model, instances } = await serve(t, dir, { max_batch_size: 0 });
    for (const d of datatypes) {
      assert.deepEqual(
        model.inputs.find((s) => s.name === `input_${d}`),
        { name: `input_${d}`, datatype: d, shape: [-1, -1] },
      );
    }
    const [instance] = instances;
    assert.ok(instance);
    for (const shape of [
      [2, 3],
      [6, 1],
    ]) {
      const outputs = await execute(instance, identityInputs(shape));
      assert.deepEqual(
        outputs.map((o) => o.name),
        datatypes.map((d) => `output_${d}`),
      );
      for (const [i, d] of datatypes.entries()) {
        assert.deepEqual(outputs[i], { name: `output_${d}`, datatype: d, shape, data: samples[d] }, d);
      }
    }
  });

  it('drops the batch dimension from the model metadata when max_batch_size > 0', async (t) => {
    const dir = await modelDir(t, identityModel());
    const model = await load(dir, { max_batch_size: 8 });
    t.after(() => model.unload());
    assert.deepEqual(model.outputs[0], { name: 'output_BOOL', datatype: 'BOOL', shape: [-1] });
  });

  it('returns only the requested outputs, in the requested order, and names the unknown ones', async (t) => {
    const dir = await modelDir(t, identityModel());
    const { instances } = await serve(t, dir, {});
    const [instance] = instances;
    assert.ok(instance);
    const outputs = await execute(instance, identityInputs([3, 2]), ['output_INT64', 'output_BOOL']);
    assert.deepEqual(
      outputs.map((o) => [o.name, o.datatype]),
      [
        ['output_INT64', 'INT64'],
        ['output_BOOL', 'BOOL'],
      ],
    );
    assert.deepEqual(outputs[0]?.data, samples.INT64);
    await assert.rejects(execute(instance, identityInputs([3, 2]), ['output_FP32', 'scores']), (error) => {
      assert.ok(isStrataError(error));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      assert.match(error.message, /'scores'/);
      assert.match(error.message, /output_FP32/);
      return true;
    });
  });

  it('serves the declared inputs and outputs when they fit the model', async (t) => {
    const mlp = mlpModel({ input: 4, hidden: 8, output: 3, seed: 1, batch: true });
    const dir = await modelDir(t, mlp.bytes);
    const declared = {
      max_batch_size: 4,
      inputs: [{ name: 'input', datatype: 'FP32', shape: [4] }],
      outputs: [{ name: 'output', datatype: 'FP32', shape: [3] }],
    };
    const model = await load(dir, declared);
    t.after(() => model.unload());
    assert.deepEqual(model.inputs, declared.inputs);
    assert.deepEqual(model.outputs, declared.outputs);
  });

  it('fails with CONFIG_INVALID when the declaration contradicts the model, naming what to change', async (t) => {
    const mlp = mlpModel({ input: 4, hidden: 8, output: 3, seed: 1, batch: true });
    const dir = await modelDir(t, mlp.bytes);
    const cases: [Record<string, unknown>, RegExp[]][] = [
      [{ inputs: [{ name: 'pixels', datatype: 'FP32', shape: [-1, 4] }] }, [/'pixels'/, /inputs are: input/]],
      [{ outputs: [{ name: 'output', datatype: 'FP64', shape: [-1, 3] }] }, [/FP64/, /FP32/]],
      [{ outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 7] }] }, [/\[-1, 7\]/, /\[-1, 3\]/]],
      [{ max_batch_size: 4, outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }] }, [/\[-1, 3\]/]],
    ];
    for (const [config, patterns] of cases) {
      await assert.rejects(load(dir, config), (error) => {
        assert.ok(isStrataError(error));
        assert.equal(error.code, 'CONFIG_INVALID', error.message);
        for (const p of patterns) assert.match(error.message, p);
        return true;
      });
    }
    const fixed = await modelDir(
      t,
      mlpModel({ input: 4, hidden: 8, output: 3, seed: 1, batch: false }).bytes,
    );
    await assert.rejects(load(fixed, { max_batch_size: 4 }), {
      code: 'CONFIG_INVALID',
      message: /dynamic first \(batch\) dimension; set max_batch_size to 0/,
    });
  });

  it('names the path when the model file is missing, a directory or not ONNX', async (t) => {
    const dir = await tempDir();
    t.after(() => rm(dir, { recursive: true, force: true }));
    const missing = join(dir, 'model.onnx');
    await assert.rejects(load(dir), (error) => {
      assert.ok(isStrataError(error));
      assert.equal(error.code, 'NOT_FOUND');
      assert.ok(error.message.includes(missing), error.message);
      assert.match(error.message, /onnx\.file/);
      return true;
    });
    await mkdir(join(dir, 'folder.onnx'));
    await assert.rejects(load(dir, { onnx: { file: 'folder.onnx' } }), {
      code: 'CONFIG_INVALID',
      message: /is not a file/,
    });
    await writeModel(dir, 'garbage.onnx', new TextEncoder().encode('not a model'));
    await assert.rejects(load(dir, { onnx: { file: 'garbage.onnx' } }), (error) => {
      assert.ok(isStrataError(error));
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.ok(error.message.includes(join(dir, 'garbage.onnx')), error.message);
      return true;
    });
  });

  it("refuses execution_provider 'cuda' where it is not installed, pointing at cpu", async (t) => {
    if (onnxBackend.capabilities.devices.includes('cuda')) {
      t.skip('the CUDA provider is installed here');
      return;
    }
    const dir = await modelDir(t, identityModel());
    await assert.rejects(load(dir, { onnx: { execution_provider: 'cuda' } }), {
      code: 'CONFIG_INVALID',
      message: /onnx\.execution_provider to 'cpu'/,
    });
  });

  it('rejects a wrong datatype, shape or element count with INVALID_ARGUMENT and keeps serving', async (t) => {
    const mlp = mlpModel({ input: 4, hidden: 8, output: 3, seed: 2, batch: true });
    const dir = await modelDir(t, mlp.bytes);
    const { instances } = await serve(t, dir, { max_batch_size: 8 });
    const [instance] = instances;
    assert.ok(instance);
    const bad: [string, Tensor][] = [
      ['datatype', { name: 'input', datatype: 'INT32', shape: [1, 4], data: new Int32Array(4) }],
      ['shape', { name: 'input', datatype: 'FP32', shape: [1, 5], data: new Float32Array(5) }],
      ['rank', { name: 'input', datatype: 'FP32', shape: [4], data: new Float32Array(4) }],
      ['element count', { name: 'input', datatype: 'FP32', shape: [2, 4], data: new Float32Array(4) }],
      ['storage', { name: 'input', datatype: 'FP32', shape: [1, 4], data: new Int32Array(4) }],
      ['name', { name: 'pixels', datatype: 'FP32', shape: [1, 4], data: new Float32Array(4) }],
    ];
    for (const [what, tensor] of bad) {
      await assert.rejects(execute(instance, [tensor]), (error) => {
        assert.ok(isStrataError(error), what);
        assert.equal(error.code, 'INVALID_ARGUMENT', `${what}: ${error.message}`);
        return true;
      });
    }
    const input = mlpInput(2, 4);
    const expected = mlpReference(mlp.layers, input.data as Float32Array, 2);
    const [output] = await execute(instance, [input]);
    assertClose(output?.data as Float32Array, expected, 1e-4);
  });

  it('runs two instances at once, each in its own worker, without blocking the event loop', async (t) => {
    // A big batch on instance 0 takes a few hundred ms; single rows on instance 1 meanwhile must
    // finish first. One thread serving both would finish the big batch first, whatever the CPU.
    const mlp = mlpModel({ input: 256, hidden: [1024, 1024], output: 8, seed: 5, batch: true });
    const dir = await modelDir(t, mlp.bytes);
    const { instances } = await serve(t, dir, { max_batch_size: 4096 }, 2);
    const [busy, free] = instances;
    assert.ok(busy && free);
    await execute(busy, [mlpInput(4, 256)]);
    await execute(free, [mlpInput(4, 256)]);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const state = { bigDone: false };
    const big = execute(busy, [mlpInput(4096, 256)]).finally(() => {
      state.bigDone = true;
    });
    let smallWhileBig = 0;
    for (;;) {
      await execute(free, [mlpInput(1, 256)]);
      if (state.bigDone) break;
      smallWhileBig++;
    }
    clearInterval(timer);
    const [output] = await big;
    assert.deepEqual(output?.shape, [4096, 8]);
    assert.ok(
      smallWhileBig >= 2,
      `instance 1 finished ${String(smallWhileBig)} requests while instance 0 computed`,
    );
    assert.ok(ticks >= 3, `the event loop ticked ${String(ticks)} times during the big batch`);
  });

  it('gives memory back: 20 load / createInstance / close / unload cycles keep RSS flat', async (t) => {
    // Each leaked session would keep its weights (1.2 MB here) plus a worker and ORT's arenas,
    // about 12 MB per cycle as measured, so 20 cycles of leaks would exceed 10% by far.
    const mlp = mlpModel({ input: 64, hidden: [512, 512], output: 8, seed: 3, batch: true });
    const dir = await modelDir(t, mlp.bytes);
    const gc = exposeGc();
    const rss: number[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      const model = await load(dir, { max_batch_size: 64 });
      const instance = await model.createInstance(0);
      await execute(instance, [mlpInput(64, 64)]);
      await instance.close();
      await model.unload();
      gc();
      rss.push(process.memoryUsage().rss);
    }
    const first = rss[0] ?? 0;
    const last = rss[rss.length - 1] ?? 0;
    const mb = (n: number) => (n / 2 ** 20).toFixed(1);
    assert.ok(
      last <= first * 1.1,
      `RSS grew from ${mb(first)} MB after cycle 1 to ${mb(last)} MB after cycle 20`,
    );
  });
});

/** global.gc without --expose-gc: the flag can be set at run time, then read in a new context. */
function exposeGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}
