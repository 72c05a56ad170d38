/**
 * The Open Inference Protocol through a started platform (target `serving`) over a real socket:
 * the routes are wired, report the package version, and serve a model from `<dataDir>/models`.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { packageRoot } from '../src/kernel/index.js';
import type { Platform } from '../src/platform/index.js';
import { scaleConfig, scaleHandler, writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

let platform: Platform;
let url: string;

before(async () => {
  const dataDir = tempDataDir('v2');
  await writeModel(join(dataDir, 'models'), 'triple', scaleConfig(), {
    1: { 'model.js': scaleHandler('system-v2-triple', 3) },
  });
  ({ platform, url } = await startPlatform(dataDir, ['serving']));
});

after(async () => {
  await platform.shutdown();
});

describe('Open Inference Protocol on a started platform', () => {
  it('reports the server and model as ready', async () => {
    const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const metadata = await fetch(`${url}/v2`);
    assert.deepEqual(await metadata.json(), {
      name: 'strata',
      version,
      extensions: ['model_repository', 'binary_tensor_data'],
    });
    assert.equal((await fetch(`${url}/v2/health/ready`)).status, 200);
    assert.equal((await fetch(`${url}/v2/models/triple/versions/1/ready`)).status, 200);
  });

  it('infers from a body sent without a Content-Type, as tritonclient sends it', async () => {
    const response = await fetch(`${url}/v2/models/triple/infer`, {
      method: 'POST',
      body: new TextEncoder().encode(
        JSON.stringify({
          id: 'a',
          inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 1], data: [[1], [2]] }],
        }),
      ),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      model_name: 'triple',
      model_version: '1',
      id: 'a',
      outputs: [{ name: 'y', datatype: 'FP32', shape: [2, 1], data: [3, 6] }],
    });
  });
});
