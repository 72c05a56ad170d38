import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { createLogger, isStrataError } from '../kernel/index.js';
import type { ModelBackend } from './backend.js';
import { typescriptBackend } from './backends/index.js';
import {
  scaleConfig,
  scaleHandler,
  seenBatches,
  startServing,
  writeModel,
} from '../../test/support/model-repository.js';
import { ServingModule } from './serving-module.js';
import type { ModelStateChange } from './procedures.js';
import type { ServingService } from './service.js';
import type { Tensor } from './tensor.js';

function x(values: number[], rows = 1): Tensor {
  return {
    name: 'x',
    datatype: 'FP32',
    shape: [rows, values.length / rows],
    data: Float32Array.from(values),
  };
}

function numbers(tensor: Tensor | undefined): number[] {
  return Array.from((tensor?.data ?? []) as ArrayLike<number>, Number);
}

async function rejectsWith(promise: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStrataError(error), `expected a StrataError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const found = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (found?.values ?? []) as { labels: Record<string, string | number>; value: number }[];
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((n, v) => n + v.value, 0);
}

describe('ServingService', () => {
  let repo: string;
  let registry: Registry;
  let module: ServingModule;
  let serving: ServingService;

  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'strata-serving-'));
    await writeModel(repo, 'double', scaleConfig({ dynamic_batching: { max_queue_delay_us: 20_000 } }), {
      1: { 'model.js': scaleHandler('double-v1', 2) },
    });
    await writeModel(repo, 'versions', scaleConfig({ version_policy: { all: {} } }), {
      1: { 'model.js': scaleHandler('versions-v1', 1) },
      2: { 'model.js': scaleHandler('versions-v2', 2) },
      3: { 'model.js': scaleHandler('versions-v3', 3) },
    });
    await writeModel(repo, 'poison', scaleConfig({ dynamic_batching: { max_queue_delay_us: 20_000 } }), {
      1: { 'model.js': scaleHandler('poison-v1', 1, { poison: 13 }) },
    });
    await writeModel(
      repo,
      'single',
      scaleConfig({
        max_batch_size: 0,
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, -1] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [1, -1] }],
        queue: { max_size: 2, priority_levels: 2, default_priority: 2 },
      }),
      { 1: { 'model.js': scaleHandler('single-v1', 1) } },
    );
    await writeModel(
      repo,
      'pair',
      scaleConfig({
        outputs: [
          { name: 'y', datatype: 'FP32', shape: [-1] },
          { name: 'z', datatype: 'FP32', shape: [-1] },
        ],
      }),
      {
        1: {
          'model.js': `export default { execute: ([x]) => [
            { name: 'y', datatype: 'FP32', shape: x.shape, data: x.data },
            { name: 'z', datatype: 'FP32', shape: x.shape, data: x.data.map((v) => -v) },
          ] };`,
        },
      },
    );
    ({ module, serving, registry } = await startServing(repo));
  });

  after(async () => {
    await module.stop();
    await rm(repo, { recursive: true, force: true });
  });

  it('loads every model of the repository at start and answers inference', async () => {
    const response = await serving.infer({ model: 'double', id: 'r1', inputs: [x([1, 2, 3])] });
    assert.equal(response.version, 1);
    assert.equal(response.id, 'r1');
    assert.deepEqual(numbers(response.outputs[0]), [2, 4, 6]);
    assert.deepEqual(
      (await serving.repositoryIndex()).map((e) => [e.name, e.version, e.state]),
      [
        ['double', 1, 'READY'],
        ['pair', 1, 'READY'],
        ['poison', 1, 'READY'],
        ['single', 1, 'READY'],
        ['versions', 1, 'READY'],
        ['versions', 2, 'READY'],
        ['versions', 3, 'READY'],
      ],
    );
  });

  it('returns only the requested outputs, even when the handler returns more', async () => {
    const all = await serving.infer({ model: 'pair', inputs: [x([1, 2])] });
    assert.deepEqual(
      all.outputs.map((o) => o.name),
      ['y', 'z'],
    );
    const some = await serving.infer({ model: 'pair', inputs: [x([1, 2])], outputs: ['z'] });
    assert.deepEqual(
      some.outputs.map((o) => o.name),
      ['z'],
    );
    assert.deepEqual(numbers(some.outputs[0]), [-1, -2]);
  });

  it('reports metadata with the batch dimension as -1', () => {
    const metadata = serving.modelMetadata('double');
    assert.deepEqual(metadata.inputs, [{ name: 'x', datatype: 'FP32', shape: [-1, -1] }]);
    assert.deepEqual(metadata.versions, [1]);
  });

  it('merges concurrent requests into batches and gives each caller exactly its own rows', async () => {
    const before = seenBatches('double-v1').length;
    const calls = Array.from({ length: 64 }, (_, i) => {
      const rows = 1 + (i % 3);
      const values = Array.from({ length: rows * 4 }, (_, j) => i * 100 + j);
      return serving
        .infer({ model: 'double', inputs: [x(values, rows)] })
        .then((r) => ({ values, rows, out: r.outputs[0] }));
    });
    for (const { values, rows, out } of await Promise.all(calls)) {
      assert.deepEqual(out?.shape, [rows, 4]);
      assert.deepEqual(
        numbers(out),
        values.map((v) => v * 2),
      );
    }
    const batches = seenBatches('double-v1').slice(before);
    assert.ok(batches.length < 64, `expected merged batches, saw ${String(batches.length)} executions`);
    assert.ok(
      batches.every((rows) => rows <= 16),
      `a batch exceeded max_batch_size: ${batches.join(',')}`,
    );
    assert.ok((await metric(registry, 'strata_model_batch_size', { model: 'double' })) > 0);
  });

  it('never merges requests whose inner shapes differ', async () => {
    const calls = Array.from({ length: 30 }, (_, i) => {
      const width = 1 + (i % 5);
      const values = Array.from({ length: width }, (_, j) => i + j / 10);
      return serving
        .infer({ model: 'double', inputs: [x(values)] })
        .then((r) => ({ values, out: r.outputs[0] }));
    });
    for (const { values, out } of await Promise.all(calls)) {
      assert.deepEqual(out?.shape, [1, values.length]);
      assert.deepEqual(
        numbers(out),
        values.map((v) => Math.fround(v) * 2),
      );
    }
  });

  it('fails only the request whose input makes the handler throw, even inside a merged batch', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        serving.infer({ model: 'poison', inputs: [x([i === 4 ? 13 : i])] }),
      ),
    );
    results.forEach((result, i) => {
      if (i === 4) {
        assert.equal(result.status, 'rejected');
        assert.ok(isStrataError(result.reason) && result.reason.code === 'MODEL_EXECUTION_FAILED');
      } else {
        assert.equal(result.status, 'fulfilled');
        assert.deepEqual(numbers(result.value.outputs[0]), [i]);
      }
    });
    const after = await serving.infer({ model: 'poison', inputs: [x([7])] });
    assert.deepEqual(numbers(after.outputs[0]), [7]);
  });

  it('serves a chosen version, and the latest when none is named', async () => {
    const latest = await serving.infer({ model: 'versions', inputs: [x([5])] });
    assert.equal(latest.version, 3);
    assert.deepEqual(numbers(latest.outputs[0]), [15]);
    const first = await serving.infer({ model: 'versions', version: 1, inputs: [x([5])] });
    assert.deepEqual(numbers(first.outputs[0]), [5]);
    assert.equal(serving.modelReady('versions', 2), true);
    assert.equal(serving.modelReady('versions', 9), false);
  });

  it('rejects bad requests with stable codes and keeps serving', async () => {
    await rejectsWith(serving.infer({ model: 'nope', inputs: [x([1])] }), 'NOT_FOUND', /not loaded/);
    await rejectsWith(
      serving.infer({ model: 'versions', version: 7, inputs: [x([1])] }),
      'NOT_FOUND',
      /version 7/,
    );
    await rejectsWith(
      serving.infer({ model: 'double', inputs: [{ ...x([1]), datatype: 'INT32', data: Int32Array.of(1) }] }),
      'INVALID_ARGUMENT',
      /datatype INT32/,
    );
    await rejectsWith(
      serving.infer({
        model: 'double',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [3], data: new Float32Array(3) }],
      }),
      'INVALID_ARGUMENT',
      /shape \[3\]/,
    );
    await rejectsWith(serving.infer({ model: 'double', inputs: [] }), 'INVALID_ARGUMENT', /missing/);
    await rejectsWith(
      serving.infer({ model: 'double', inputs: [x([1]), { ...x([1]), name: 'z' }] }),
      'INVALID_ARGUMENT',
      /no input 'z'/,
    );
    await rejectsWith(
      serving.infer({ model: 'double', inputs: [x([1, 2], 1)], outputs: ['nope'] }),
      'INVALID_ARGUMENT',
      /no output 'nope'/,
    );
    await rejectsWith(
      serving.infer({
        model: 'double',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3], data: new Float32Array(2) }],
      }),
      'INVALID_ARGUMENT',
      /elements/,
    );
    await rejectsWith(
      serving.infer({ model: 'double', inputs: [x(new Array<number>(17).fill(1), 17)] }),
      'INVALID_ARGUMENT',
      /max_batch_size/,
    );
    const ok = await serving.infer({ model: 'double', inputs: [x([1])] });
    assert.deepEqual(numbers(ok.outputs[0]), [2]);
  });

  it('answers OVERLOADED when the queue is full and QUEUE_TIMEOUT when a request waits too long', async () => {
    const slow = (priority?: number) =>
      serving.infer({
        model: 'single',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(1) }],
        parameters: { delayMs: 150, ...(priority === undefined ? {} : { priority }) },
      });
    const running = slow();
    const queued = [slow(), slow()];
    await rejectsWith(slow(), 'OVERLOADED', /queue is full/);
    await Promise.all([running, ...queued]);
    const busy = slow();
    const timedOut = serving.infer({
      model: 'single',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(1) }],
      parameters: { timeout: 20_000 },
    });
    await rejectsWith(timedOut, 'QUEUE_TIMEOUT');
    await busy;
  });

  it('runs higher-priority requests first', async () => {
    const order: string[] = [];
    const call = (tag: string, priority: number) =>
      serving
        .infer({
          model: 'single',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(1) }],
          parameters: { delayMs: 30, priority },
        })
        .then(() => order.push(tag));
    const first = call('running', 2);
    const low = call('low', 2);
    const high = call('high', 1);
    await Promise.all([first, low, high]);
    assert.deepEqual(order, ['running', 'high', 'low']);
    await rejectsWith(
      serving.infer({
        model: 'single',
        inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: Float32Array.of(1) }],
        parameters: { priority: 3 },
      }),
      'INVALID_ARGUMENT',
      /priority 3/,
    );
  });

  it('keeps other models ready while one loads, unloads and reloads', async () => {
    await writeModel(repo, 'slow', scaleConfig(), {
      1: { 'model.js': scaleHandler('slow-v1', 1, { setupMs: 300 }) },
    });
    const loading = serving.load('slow');
    const during: boolean[] = [];
    const probe = setInterval(() => during.push(serving.modelReady('double')), 10);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => serving.infer({ model: 'double', inputs: [x([1])] })),
    );
    await loading;
    clearInterval(probe);
    assert.ok(during.length > 0 && during.every(Boolean), 'double flapped while slow loaded');
    assert.equal(answers.length, 5);
    assert.equal(serving.modelReady('slow'), true);
    await serving.unload('slow');
    assert.equal(serving.modelReady('slow'), false);
    assert.equal(serving.modelReady('double'), true);
    await rejectsWith(serving.infer({ model: 'slow', inputs: [x([1])] }), 'NOT_FOUND');
    assert.deepEqual(
      (await serving.repositoryIndex()).filter((e) => e.name === 'slow'),
      [{ name: 'slow', state: 'UNAVAILABLE', reason: 'unloaded' }],
    );
    await rejectsWith(serving.unload('slow'), 'NOT_FOUND');
    await rejectsWith(serving.load('missing'), 'NOT_FOUND', /not in the repository/);
    await rejectsWith(serving.load('../etc'), 'INVALID_ARGUMENT');
  });

  it('applies a changed version policy on reload, loading new versions before retiring old ones', async () => {
    await writeModel(repo, 'policy', scaleConfig(), {
      1: { 'model.js': scaleHandler('policy-v1', 1) },
      2: { 'model.js': scaleHandler('policy-v2', 2) },
    });
    await serving.load('policy');
    assert.deepEqual(serving.modelMetadata('policy').versions, [2]);
    await writeModel(repo, 'policy', scaleConfig({ version_policy: { specific: { versions: [1] } } }), {});
    await serving.load('policy');
    assert.deepEqual(serving.modelMetadata('policy').versions, [1]);
    assert.equal(serving.modelReady('policy', 2), false);
    await writeModel(repo, 'policy', scaleConfig({ version_policy: { specific: { versions: [4] } } }), {});
    await rejectsWith(serving.load('policy'), 'NOT_FOUND', /no version 4/);
    assert.equal(
      serving.modelReady('policy', 1),
      true,
      'a failed reload must leave the loaded versions serving',
    );
  });

  it('runs the warm-up requests before the version reports ready, and keeps the latest N versions', async () => {
    await writeModel(
      repo,
      'warm',
      scaleConfig({ warmup: { count: 3, batch_size: 2 }, version_policy: { latest: { num_versions: 2 } } }),
      {
        1: { 'model.js': scaleHandler('warm-v1', 1) },
        2: { 'model.js': scaleHandler('warm-v2', 1) },
        3: { 'model.js': scaleHandler('warm-v3', 1) },
      },
    );
    await serving.load('warm');
    assert.deepEqual(serving.modelMetadata('warm').versions, [2, 3]);
    assert.deepEqual(seenBatches('warm-v3'), [2, 2, 2]);
    assert.deepEqual(seenBatches('warm-v2'), [2, 2, 2]);
  });

  it('picks up an edited handler on reload, answers NOT_READY while loading, and drops cached answers of the old files', async () => {
    const config = scaleConfig({ response_cache: { enabled: true } });
    await writeModel(repo, 'edited', config, {
      1: { 'model.js': scaleHandler('edited-a', 2, { setupMs: 200 }) },
    });
    const loading = serving.load('edited');
    await rejectsWith(serving.infer({ model: 'edited', inputs: [x([1])] }), 'NOT_READY', /loading/);
    assert.deepEqual(
      (await serving.repositoryIndex()).filter((e) => e.name === 'edited').map((e) => e.state),
      ['LOADING'],
    );
    await loading;
    assert.deepEqual(numbers((await serving.infer({ model: 'edited', inputs: [x([1])] })).outputs[0]), [2]);
    // A different file (and so a new modification time) for the same version.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await writeModel(repo, 'edited', config, { 1: { 'model.js': scaleHandler('edited-b', 10) } });
    await serving.load('edited');
    const after = await serving.infer({ model: 'edited', inputs: [x([1])] });
    assert.equal(after.cached, false);
    assert.deepEqual(numbers(after.outputs[0]), [10]);
  });

  it('fails a malformed handler answer with MODEL_EXECUTION_FAILED and keeps serving', async () => {
    await writeModel(repo, 'malformed', scaleConfig({ dynamic_batching: { max_queue_delay_us: 10_000 } }), {
      1: {
        'model.js': `export default { execute: ([x]) => x.data[0] === 1 ? 'nonsense' : [{ name: 'y', datatype: 'FP32', shape: [x.shape[0] + 1, 1], data: new Float32Array(x.shape[0] + 1) }] };`,
      },
    });
    await serving.load('malformed');
    await rejectsWith(
      serving.infer({ model: 'malformed', inputs: [x([1])] }),
      'MODEL_EXECUTION_FAILED',
      /array/,
    );
    const merged = await Promise.allSettled(
      [2, 3, 4].map((v) => serving.infer({ model: 'malformed', inputs: [x([v])] })),
    );
    for (const result of merged) {
      assert.equal(result.status, 'rejected');
      assert.ok(isStrataError(result.reason) && result.reason.code === 'MODEL_EXECUTION_FAILED');
    }
    assert.deepEqual(numbers((await serving.infer({ model: 'double', inputs: [x([4])] })).outputs[0]), [8]);
  });

  it('reports a model whose config is invalid without affecting the others', async () => {
    await writeModel(repo, 'broken', { backend: 'typescript', max_batch_size: -1 }, { 1: {} });
    await rejectsWith(serving.load('broken'), 'CONFIG_INVALID', /max_batch_size/);
    await writeModel(repo, 'nofile', scaleConfig(), { 1: {} });
    await rejectsWith(serving.load('nofile'), 'NOT_FOUND', /model\.js/);
    assert.equal(serving.modelReady('double'), true);
  });
});

describe('ServingService traffic policies and response cache', () => {
  let repo: string;
  let registry: Registry;
  let module: ServingModule;
  let serving: ServingService;
  const one = (): Tensor => x([3]);

  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'strata-traffic-'));
    const two = (a: number, b: number, extra: Record<string, unknown>) =>
      [
        scaleConfig({ version_policy: { all: {} }, ...extra }),
        {
          1: { 'model.js': scaleHandler(`v1-${String(a)}`, a) },
          2: { 'model.js': scaleHandler(`v2-${String(b)}`, b) },
        },
      ] as const;
    await writeModel(
      repo,
      'canary',
      ...two(1, 2, { traffic: { canary: { stable: 1, canary: 2, weight: 30 } } }),
    );
    await writeModel(
      repo,
      'ab',
      ...two(1, 2, { traffic: { ab: { header: 'X-Variant', versions: { b: 2, a: 1 } } } }),
    );
    await writeModel(repo, 'shadow', ...two(1, 5, { traffic: { shadow: { version: 2 } } }));
    await writeModel(
      repo,
      'rollback',
      scaleConfig({
        version_policy: { all: {} },
        traffic: {
          canary: { stable: 1, canary: 2, weight: 50, rollback_error_rate: 0.5, rollback_min_requests: 10 },
        },
      }),
      {
        1: { 'model.js': scaleHandler('rb-v1', 1) },
        2: { 'model.js': scaleHandler('rb-v2', 1, { poison: 3 }) },
      },
    );
    await writeModel(repo, 'cached', scaleConfig({ response_cache: { enabled: true } }), {
      1: { 'model.js': scaleHandler('cached-v1', 4) },
    });
    ({ module, serving, registry } = await startServing(repo));
  });

  after(async () => {
    await module.stop();
    await rm(repo, { recursive: true, force: true });
  });

  it('splits unversioned traffic by canary weight and honours an explicit version', async () => {
    const versions = await Promise.all(
      Array.from({ length: 1000 }, () =>
        serving.infer({ model: 'canary', inputs: [one()] }).then((r) => r.version),
      ),
    );
    const toCanary = versions.filter((v) => v === 2).length;
    assert.ok(toCanary > 230 && toCanary < 370, `canary got ${String(toCanary)} of 1000 at weight 30`);
    assert.equal((await serving.infer({ model: 'canary', version: 2, inputs: [one()] })).version, 2);
  });

  it('routes by A/B header and falls back to the latest version without it', async () => {
    const via = async (value?: string) =>
      (
        await serving.infer({
          model: 'ab',
          inputs: [one()],
          headers: value === undefined ? {} : { 'x-variant': value },
        })
      ).version;
    assert.equal(await via('a'), 1);
    assert.equal(await via('b'), 2);
    assert.equal(await via('zzz'), 2);
    assert.equal(await via(), 2);
  });

  it('mirrors traffic to the shadow version, answers from the primary, and counts mismatches', async () => {
    for (let i = 0; i < 5; i++) {
      const r = await serving.infer({ model: 'shadow', version: 1, inputs: [one()] });
      assert.deepEqual(numbers(r.outputs[0]), [3]);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(
      await metric(registry, 'strata_model_shadow_requests_total', { model: 'shadow', result: 'mismatch' }),
      5,
    );
  });

  it('rolls a failing canary back to the stable version', async () => {
    const poison = (): Tensor => x([3]);
    // One at a time: the policy can only react to outcomes it has seen.
    const outcomes: PromiseSettledResult<unknown>[] = [];
    for (let i = 0; i < 100; i++) {
      outcomes.push(
        ...(await Promise.allSettled([serving.infer({ model: 'rollback', inputs: [poison()] })])),
      );
    }
    const failures = outcomes.filter((o) => o.status === 'rejected').length;
    assert.ok(
      failures >= 5 && failures <= 12,
      `expected the canary to fail a few requests before rollback, saw ${String(failures)}`,
    );
    const after = await Promise.all(
      Array.from({ length: 50 }, () =>
        serving.infer({ model: 'rollback', inputs: [poison()] }).then((r) => r.version),
      ),
    );
    assert.ok(
      after.every((v) => v === 1),
      'traffic still reached the rolled-back canary',
    );
    assert.equal(await metric(registry, 'strata_model_canary_rollbacks_total', { model: 'rollback' }), 1);
  });

  it('answers repeated requests from the response cache', async () => {
    const before = seenBatches('cached-v1').length;
    const first = await serving.infer({ model: 'cached', inputs: [x([1, 2])] });
    const second = await serving.infer({ model: 'cached', inputs: [x([1, 2])] });
    const other = await serving.infer({ model: 'cached', inputs: [x([1, 3])] });
    assert.equal(first.cached, false);
    assert.equal(second.cached, true);
    assert.equal(other.cached, false);
    assert.deepEqual(numbers(second.outputs[0]), [4, 8]);
    assert.equal(seenBatches('cached-v1').length - before, 2);
    assert.equal(
      await metric(registry, 'strata_model_cache_requests_total', { model: 'cached', result: 'hit' }),
      1,
    );
  });
});

describe('ServingService backend capabilities', () => {
  it('refuses to load a model whose declared datatypes its backend does not support', async () => {
    const repo = await mkdtemp(join(tmpdir(), 'strata-capabilities-'));
    const floatsOnly: ModelBackend = {
      ...typescriptBackend,
      name: 'floats-only',
      capabilities: { ...typescriptBackend.capabilities, datatypes: ['FP32'] },
    };
    await writeModel(repo, 'ints', scaleConfig({ inputs: [{ name: 'x', datatype: 'INT32', shape: [-1] }] }), {
      1: { 'model.js': scaleHandler('ints-v1', 1) },
    });
    const module = new ServingModule({
      dataDir: repo,
      config: { repository: repo, startupModels: [], responseCacheBytes: 0 },
      registry: new Registry(),
      logger: createLogger('silent'),
      secrets: () => undefined,
      backends: { typescript: floatsOnly },
    });
    await module.start();
    try {
      await rejectsWith(
        module.service.load('ints'),
        'CONFIG_INVALID',
        /INT32, which backend floats-only does not support/,
      );
    } finally {
      await module.stop();
      await rm(repo, { recursive: true, force: true });
    }
  });
});

describe('ServingService model state changes', () => {
  let repo: string;
  let module: ServingModule;
  let serving: ServingService;
  const logLines: string[] = [];

  // [model, version, state, reason]
  function rows(changes: readonly ModelStateChange[]): [string, number, string, string][] {
    return changes.map((c) => [c.model, c.version, c.state, c.reason]);
  }

  before(async () => {
    repo = await mkdtemp(join(tmpdir(), 'strata-watch-'));
    for (const name of ['watched', 'other', 'reloaded', 'listened'])
      await writeModel(repo, name, scaleConfig(), { 1: { 'model.js': scaleHandler(`${name}-v1`, 1) } });
    await writeModel(repo, 'two', scaleConfig({ version_policy: { all: {} } }), {
      1: { 'model.js': scaleHandler('two-v1', 1) },
      2: { 'model.js': scaleHandler('two-v2', 2) },
    });
    await writeModel(repo, 'failing', scaleConfig(), {
      1: { 'model.js': `export default { setup() { throw new Error('no weights'); }, execute: () => [] };` },
    });
    await writeModel(repo, 'acme-only', scaleConfig({ tenants: ['acme'] }), {
      1: { 'model.js': scaleHandler('acme-only-v1', 1) },
    });
    await writeModel(repo, 'everyone', scaleConfig({ tenants: ['*'] }), {
      1: { 'model.js': scaleHandler('everyone-v1', 1) },
    });
    module = new ServingModule({
      dataDir: repo,
      config: { repository: repo, startupModels: [], responseCacheBytes: 0 },
      registry: new Registry(),
      logger: createLogger('error', { write: (line: string) => void logLines.push(line) }),
      secrets: () => undefined,
    });
    await module.start();
    serving = module.service;
  });

  after(async () => {
    await module.stop();
    await rm(repo, { recursive: true, force: true });
  });

  it('reports LOADING then READY for each version on load, and UNLOADING then UNAVAILABLE on unload', async () => {
    const seen: ModelStateChange[] = [];
    const stop = serving.watchModels('two', (change) => seen.push(change));
    await serving.load('two');
    assert.deepEqual(
      rows(seen).sort(),
      [
        ['two', 1, 'LOADING', ''],
        ['two', 1, 'READY', ''],
        ['two', 2, 'LOADING', ''],
        ['two', 2, 'READY', ''],
      ].sort(),
    );
    for (const version of [1, 2]) {
      assert.deepEqual(
        rows(seen.filter((c) => c.version === version)).map((r) => r[2]),
        ['LOADING', 'READY'],
      );
    }
    seen.length = 0;
    await serving.unload('two');
    for (const version of [1, 2]) {
      assert.deepEqual(rows(seen.filter((c) => c.version === version)), [
        ['two', version, 'UNLOADING', ''],
        ['two', version, 'UNAVAILABLE', 'unloaded'],
      ]);
    }
    stop();
  });

  it('reports LOADING then UNAVAILABLE with its reason when a version fails to load', async () => {
    const seen: ModelStateChange[] = [];
    const stop = serving.watchModels('failing', (change) => seen.push(change));
    await rejectsWith(serving.load('failing'), 'MODEL_EXECUTION_FAILED');
    stop();
    assert.deepEqual(
      seen.map((c) => c.state),
      ['LOADING', 'UNAVAILABLE'],
    );
    assert.match(seen[1]?.reason ?? '', /setup\(\) of model 'failing' version 1 threw: no weights/);
  });

  it('reports only the watched model, every model when none is named, and nothing after unsubscribing', async () => {
    const one: ModelStateChange[] = [];
    const all: ModelStateChange[] = [];
    const stopOne = serving.watchModels('watched', (change) => one.push(change));
    const stopAll = serving.watchModels(undefined, (change) => all.push(change));
    await serving.load('other');
    assert.equal(one.length, 0, 'a watch on one model saw another');
    assert.deepEqual(rows(all), [
      ['other', 1, 'LOADING', ''],
      ['other', 1, 'READY', ''],
    ]);
    await serving.load('watched');
    assert.deepEqual(
      one.map((c) => c.state),
      ['LOADING', 'READY'],
    );
    stopOne();
    stopAll();
    await serving.unload('watched');
    await serving.unload('other');
    assert.equal(one.length, 2);
    assert.equal(all.length, 4);
  });

  it('reports a reload as the new instances load, and a failed reload as the earlier versions serving again', async () => {
    await serving.load('reloaded');
    const seen: ModelStateChange[] = [];
    const stop = serving.watchModels('reloaded', (change) => seen.push(change));
    // The replaced instance's retirement is not reported: version 1 stays READY throughout.
    await serving.load('reloaded');
    assert.deepEqual(rows(seen), [
      ['reloaded', 1, 'LOADING', ''],
      ['reloaded', 1, 'READY', ''],
    ]);
    seen.length = 0;
    await writeModel(repo, 'reloaded', scaleConfig(), {
      1: { 'model.js': `export default { setup() { throw new Error('broken edit'); }, execute: () => [] };` },
    });
    await rejectsWith(serving.load('reloaded'), 'MODEL_EXECUTION_FAILED');
    stop();
    assert.deepEqual(
      seen.map((c) => c.state),
      ['LOADING', 'UNAVAILABLE', 'READY'],
    );
    assert.match(seen[1]?.reason ?? '', /broken edit/);
    assert.equal(serving.modelReady('reloaded', 1), true);
  });

  it('keeps loading when a listener throws, logs it, and still tells the other listeners', async () => {
    const seen: ModelStateChange[] = [];
    const stopThrowing = serving.watchModels('listened', () => {
      throw new Error('listener bug');
    });
    const stop = serving.watchModels('listened', (change) => seen.push(change));
    await serving.load('listened');
    stopThrowing();
    stop();
    assert.equal(serving.modelReady('listened'), true);
    assert.deepEqual(
      seen.map((c) => c.state),
      ['LOADING', 'READY'],
    );
    const logged = logLines.filter((line) => line.includes('a model state listener threw'));
    assert.equal(logged.length, 2);
    assert.match(logged[0] ?? '', /listener bug/);
  });

  it("shows a tenant only the changes of models whose config lists it or '*', LOADING included", async () => {
    const acme: ModelStateChange[] = [];
    const other: ModelStateChange[] = [];
    const stopAcme = serving.forTenant('acme').watchModels(undefined, (change) => acme.push(change));
    const stopOther = serving.forTenant('default').watchModels(undefined, (change) => other.push(change));
    const stopNamed = serving.forTenant('default').watchModels('acme-only', (change) => other.push(change));
    await serving.load('acme-only');
    await serving.load('everyone');
    await serving.load('watched');
    await serving.unload('acme-only');
    stopAcme();
    stopOther();
    stopNamed();
    assert.deepEqual(
      rows(acme).map(([model, , state]) => `${model} ${state}`),
      [
        'acme-only LOADING',
        'acme-only READY',
        'everyone LOADING',
        'everyone READY',
        'acme-only UNLOADING',
        'acme-only UNAVAILABLE',
      ],
    );
    assert.deepEqual(
      rows(other).map(([model, , state]) => `${model} ${state}`),
      ['everyone LOADING', 'everyone READY', 'watched LOADING', 'watched READY'],
    );
  });
});
