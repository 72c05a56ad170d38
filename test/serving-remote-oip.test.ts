/**
 * The `remote-oip` backend against a real Open Inference Protocol server: a second Strata serving
 * a TypeScript handler model. The proxy model must answer exactly as the model it fronts, batch
 * dimension and all datatypes included, and report UNAVAILABLE once that server is gone.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Platform } from '../src/platform/index.js';
import { writeModel } from './support/model-repository.js';
import { startPlatform, tempDataDir } from './support/platform.js';

/** Per row: the sum of `values`, `ids` negated, `words` upper-cased. */
const handlerSource = `
export default {
  execute([values, ids, words]) {
    const rows = values.shape[0];
    const sum = new Float32Array(rows);
    for (let r = 0; r < rows; r++) for (let k = 0; k < 4; k++) sum[r] += values.data[r * 4 + k];
    return [
      { name: 'sum', datatype: 'FP32', shape: [rows, 1], data: sum },
      { name: 'negated', datatype: 'INT64', shape: [rows, 2], data: ids.data.map((x) => -x) },
      { name: 'upper', datatype: 'BYTES', shape: [rows, 1], data: words.data.map((w) => w.toUpperCase()) },
    ];
  },
};
`;

let origin: Platform | undefined;
let proxy: Platform;
let originUrl: string;
let proxyUrl: string;

before(async () => {
  const originDir = tempDataDir('oip-origin');
  await writeModel(
    join(originDir, 'models'),
    'ops',
    {
      backend: 'typescript',
      max_batch_size: 8,
      inputs: [
        { name: 'values', datatype: 'FP32', shape: [4] },
        { name: 'ids', datatype: 'INT64', shape: [2] },
        { name: 'words', datatype: 'BYTES', shape: [1] },
      ],
      outputs: [
        { name: 'sum', datatype: 'FP32', shape: [1] },
        { name: 'negated', datatype: 'INT64', shape: [2] },
        { name: 'upper', datatype: 'BYTES', shape: [1] },
      ],
    },
    { 1: { 'model.js': handlerSource } },
  );
  ({ platform: origin, url: originUrl } = await startPlatform(originDir, ['all']));

  const proxyDir = tempDataDir('oip-proxy');
  await writeModel(
    join(proxyDir, 'models'),
    'remote-ops',
    {
      backend: 'remote-oip',
      max_batch_size: 8,
      remote: { url: `${originUrl}/`, model: 'ops', timeout_ms: 5000 },
    },
    { 1: {} },
  );
  ({ platform: proxy, url: proxyUrl } = await startPlatform(proxyDir, ['all']));
});

after(async () => {
  await proxy.shutdown();
  await origin?.shutdown();
});

const inferBody = {
  inputs: [
    { name: 'values', datatype: 'FP32', shape: [2, 4], data: [1, 2, 3, 4.5, -1, 0.25, 0, 0] },
    { name: 'ids', datatype: 'INT64', shape: [2, 2], data: [7, -8, '<2^63-1>', 0] },
    { name: 'words', datatype: 'BYTES', shape: [2, 1], data: ['strata', 'Ünïcode'] },
  ],
};

/** The request with an INT64 beyond 2^53, which JSON.stringify cannot write from a number. */
const inferText = JSON.stringify(inferBody).replace('"<2^63-1>"', '9223372036854775807');

async function infer(
  url: string,
  model: string,
): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/v2/models/${model}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: inferText,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Record<string, unknown> };
}

describe('remote-oip backend', () => {
  it('describes the remote model with the batch dimension', async () => {
    const [remote, local] = await Promise.all(
      [`${originUrl}/v2/models/ops`, `${proxyUrl}/v2/models/remote-ops`].map(async (u) => {
        const response = await fetch(u);
        assert.equal(response.status, 200, u);
        return (await response.json()) as Record<string, unknown>;
      }),
    );
    assert.deepEqual(local?.['inputs'], remote?.['inputs']);
    assert.deepEqual(local?.['outputs'], remote?.['outputs']);
    assert.equal(local?.['platform'], 'remote-oip');
  });

  it('answers exactly as the model it fronts', async () => {
    const direct = await infer(originUrl, 'ops');
    const proxied = await infer(proxyUrl, 'remote-ops');
    assert.equal(direct.status, 200, JSON.stringify(direct.body));
    assert.equal(proxied.status, 200, JSON.stringify(proxied.body));
    assert.deepEqual(proxied.body['outputs'], direct.body['outputs']);
    // Exact beyond 2^53 through both hops (JSON.parse above rounds it).
    for (const answer of [direct, proxied])
      assert.ok(answer.text.includes('[-7,8,-9223372036854775807,0]'), answer.text);
    assert.deepEqual(direct.body['outputs'], [
      { name: 'sum', datatype: 'FP32', shape: [2, 1], data: [10.5, -0.75] },
      { name: 'negated', datatype: 'INT64', shape: [2, 2], data: [-7, 8, -(2 ** 63), 0] }, // JSON.parse rounds -(2^63 - 1)
      { name: 'upper', datatype: 'BYTES', shape: [2, 1], data: ['STRATA', 'ÜNÏCODE'] },
    ]);
  });

  it('refuses a request that does not match the remote model with 400', async () => {
    const response = await fetch(`${proxyUrl}/v2/models/remote-ops/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: inferBody.inputs.slice(0, 2) }),
    });
    assert.equal(response.status, 400);
  });

  it('reports UNAVAILABLE, naming the server, once the remote server is gone', async () => {
    await origin?.shutdown();
    origin = undefined;
    const { status, body } = await infer(proxyUrl, 'remote-ops');
    assert.equal(status, 503);
    assert.equal(body['code'], 'UNAVAILABLE');
    assert.match(String(body['error']), new RegExp(`cannot reach the remote model server ${originUrl}`));
  });
});
