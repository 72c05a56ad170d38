/**
 * An ONNX model served end to end: written into the repository of a started platform, queried
 * over the Open Inference Protocol and checked against a TypeScript reference, managed with
 * `strata models`, and loaded and unloaded 20 times without keeping memory.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Platform } from '../src/platform/index.js';
import { runCli } from './support/cli.js';
import { writeModel } from './support/model-repository.js';
import { mlpModel, mlpReference, type MlpModel } from './support/onnx-models.js';
import { startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;
let mlp: MlpModel;

const mlpConfig = {
  backend: 'onnx',
  max_batch_size: 32,
  dynamic_batching: { max_queue_delay_us: 2000 },
  instance_count: 2,
  warmup: { batch_size: 4, count: 2 },
};

before(async () => {
  const dataDir = tempDataDir('onnx');
  mlp = mlpModel({ input: 16, hidden: 32, output: 4, seed: 11, batch: true });
  await writeModel(join(dataDir, 'models'), 'mlp', mlpConfig, { 1: { 'model.onnx': mlp.bytes } });
  ({ platform, url } = await startPlatform(dataDir, ['serving']));
});

after(async () => {
  await platform.shutdown();
});

function row(seed: number): number[] {
  return Array.from({ length: 16 }, (_, i) => Math.sin(seed * 31 + i));
}

async function infer(rows: number[][]): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/v2/models/mlp/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, 16], data: rows.flat() }],
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('an ONNX model on a started platform', () => {
  it('answers concurrent callers with their own rows, matching the reference forward pass', async () => {
    const callers = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? [row(i), row(i + 1000)] : [row(i)]));
    const answers = await Promise.all(callers.map((rows) => infer(rows)));
    answers.forEach(({ status, body }, i) => {
      assert.equal(status, 200, JSON.stringify(body));
      const rows = callers[i] ?? [];
      const want = mlpReference(mlp.layers, Float32Array.from(rows.flat()), rows.length);
      const output = (body['outputs'] as { name: string; shape: number[]; data: number[] }[])[0];
      assert.ok(output !== undefined);
      assert.deepEqual(output.shape, [rows.length, 4]);
      output.data.forEach((v, j) => {
        assert.ok(
          Math.abs(v - (want[j] ?? NaN)) < 1e-4,
          `caller ${String(i)} element ${String(j)}: ${String(v)}`,
        );
      });
    });
  });

  it('rejects a wrong shape with 400 and keeps serving', async () => {
    const bad = await fetch(`${url}/v2/models/mlp/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 15], data: new Array(15).fill(0) }],
      }),
    });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /shape \[1, 15\]/);
    assert.equal((await infer([row(1)])).status, 200);
  });

  it('is listed, unloaded and loaded again with `strata models`', async () => {
    const list = await runCli(['models', 'list', '--url', url]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /^mlp\t1\tREADY$/m);
    const unload = await runCli(['models', 'unload', 'mlp', '--url', url]);
    assert.equal(unload.code, 0, unload.stderr);
    assert.equal((await fetch(`${url}/v2/models/mlp/ready`)).status, 400);
    assert.match((await runCli(['models', 'list', '--url', url])).stdout, /^mlp\t-\tUNAVAILABLE\tunloaded$/m);
    const load = await runCli(['models', 'load', 'mlp', '--url', url]);
    assert.equal(load.code, 0, load.stderr);
    assert.equal((await infer([row(2)])).status, 200);
    const missing = await runCli(['models', 'load', 'nope', '--url', url]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nope/);
  });

  it('gives memory back: 20 unload / load cycles through the API keep RSS within 10% of the first', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const rss: number[] = [];
    for (let cycle = 0; cycle < 20; cycle++) {
      for (const action of ['unload', 'load']) {
        const response = await fetch(`${url}/v2/repository/models/mlp/${action}`, { method: 'POST' });
        assert.equal(response.status, 200, await response.text());
      }
      assert.equal((await infer([row(cycle)])).status, 200);
      gc();
      rss.push(process.memoryUsage().rss);
    }
    const first = rss[0] ?? 0;
    const last = rss[rss.length - 1] ?? 0;
    const mb = (n: number): string => (n / 2 ** 20).toFixed(1);
    assert.ok(
      last <= first * 1.1,
      `RSS grew from ${mb(first)} MB after cycle 1 to ${mb(last)} MB after cycle 20`,
    );
  });
});
