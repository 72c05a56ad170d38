import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { pathToFileURL } from 'node:url';
import { markAsUntransferable } from 'node:worker_threads';
import { isStrataError } from '../../kernel/index.js';
import type { Tensor } from '../tensor.js';
import { OnnxWorker } from './onnx-instance.js';
import { onnxInstance } from './onnx.js';

// The event-loop side of the worker protocol, against stand-in worker scripts: no ONNX Runtime,
// so crashes and odd buffers can be provoked on purpose. onnx.test.ts covers the real worker.
const echo = `
import { parentPort } from 'node:worker_threads';
parentPort.postMessage({ kind: 'ready', inputs: [], outputs: [] });
parentPort.on('message', (m) => {
  if (m.kind === 'close') process.exit(0);
  if (m.outputs[0] === 'crash') setTimeout(() => { throw new Error('boom'); }, 50);
  else parentPort.postMessage({ kind: 'result', id: m.id, outputs: m.inputs });
});
`;

const setup = { path: 'unused.onnx', provider: 'cpu', intraOpThreads: 1, pollUs: 0 } as const;
const identity = { model: 'stand-in', version: 1, instance: 0 };

async function script(t: TestContext, source: string): Promise<URL> {
  const dir = await mkdtemp(join(tmpdir(), 'strata-onnx-worker-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'worker.mjs');
  await writeFile(path, source);
  return pathToFileURL(path);
}

function fp32(name: string, data: Float32Array): Tensor {
  return { name, datatype: 'FP32', shape: [data.length], data };
}

describe('OnnxWorker', () => {
  it('transfers buffers a typed array owns whole, and copies views and untransferable buffers', async (t) => {
    const worker = await OnnxWorker.start(setup, identity, await script(t, echo));
    t.after(() => worker.close());
    const owned = Float32Array.of(1, 2, 3);
    const backing = Float32Array.of(9, 4, 5, 9);
    const view = backing.subarray(1, 3);
    const pinned = Float32Array.of(7, 8);
    markAsUntransferable(pinned.buffer);
    const [a, b, c] = await worker.run([fp32('a', owned), fp32('b', view), fp32('c', pinned)], ['x']);
    assert.deepEqual(a?.data, Float32Array.of(1, 2, 3));
    assert.deepEqual(b?.data, Float32Array.of(4, 5));
    assert.deepEqual(c?.data, Float32Array.of(7, 8));
    assert.equal(owned.length, 0, 'an owned buffer moves to the worker (detached here)');
    assert.deepEqual(backing, Float32Array.of(9, 4, 5, 9), 'a view is copied; its buffer stays usable');
    assert.deepEqual(pinned, Float32Array.of(7, 8));
  });

  it('fails in-flight and later requests with MODEL_EXECUTION_FAILED when the worker crashes', async (t) => {
    const worker = await OnnxWorker.start(setup, identity, await script(t, echo));
    const crashing = worker.run([], ['crash']);
    const queued = worker.run([], ['crash']);
    for (const pending of [crashing, queued]) {
      await assert.rejects(pending, (error) => {
        assert.ok(isStrataError(error));
        assert.equal(error.code, 'MODEL_EXECUTION_FAILED');
        assert.match(error.message, /boom/);
        assert.match(error.message, /model stand-in version 1 instance 0/);
        return true;
      });
    }
    await assert.rejects(worker.run([], ['x']), { code: 'MODEL_EXECUTION_FAILED' });
    await worker.close();
  });

  it('rejects start() with the code the worker reports, or MODEL_EXECUTION_FAILED when it exits', async (t) => {
    const failing = `
      import { parentPort } from 'node:worker_threads';
      parentPort.postMessage({ kind: 'failed', id: null, error: { code: 'CONFIG_INVALID', message: 'bad model' } });
    `;
    await assert.rejects(OnnxWorker.start(setup, identity, await script(t, failing)), {
      code: 'CONFIG_INVALID',
      message: /bad model/,
    });
    await assert.rejects(OnnxWorker.start(setup, identity, await script(t, 'process.exit(3);')), {
      code: 'MODEL_EXECUTION_FAILED',
      message: /exited with code 3/,
    });
  });

  it('replaces a crashed worker before the instance runs its next request', async (t) => {
    const entry = await script(t, echo);
    let starts = 0;
    const start = (): Promise<OnnxWorker> => {
      starts++;
      return OnnxWorker.start(setup, identity, entry);
    };
    const instance = onnxInstance(await start(), ['x', 'crash'], start);
    t.after(() => instance.close());
    await assert.rejects(
      instance.execute({ inputs: [], outputs: ['crash'], parameters: {} }),
      (error: unknown) => {
        assert.ok(isStrataError(error) && error.code === 'MODEL_EXECUTION_FAILED');
        return true;
      },
    );
    const [a] = await instance.execute({
      inputs: [fp32('a', Float32Array.of(1, 2))],
      outputs: ['x'],
      parameters: {},
    });
    assert.deepEqual(a?.data, Float32Array.of(1, 2));
    assert.equal(starts, 2);
  });
});
