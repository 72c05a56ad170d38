// npm run bench:serving -- [--seconds 4] [--rounds 3] [--block 1] [--delay-us 200] [--concurrency 1,8,64]
//   [--client fetch|node|undici]  the HTTP client: Node's fetch (the default), node:http, or
//                          undici's Pool (the lightest: the callers share the server's two cores)
//   [--encoding json|binary]  HTTP tensors as JSON (the default) or with the binary tensor data
//                          extension (tritonclient's default: JSON header, raw float32 bytes)
//   [--cells ID,...]       only the cells whose id contains one of these (e.g. http-on)
//   [--block S]            the targets' pairs take turns in blocks of S seconds
// A full run (all cells, the default delay, concurrencies and block, 3 rounds or more) replaces the
// section of its HTTP client and encoding in the results file.
// One ONNX model, an MLP 768 → 3072 → 768 (FP32, built here), served three ways in one process:
// raw onnxruntime-node on the main thread (the peer), Strata's ServingService.infer() in process,
// and Strata over HTTP (POST /v2/models/<m>/infer, JSON, keep-alive) on a started platform; Strata
// with dynamic batching off and on, at 1, 8 and 64 closed-loop callers. Throughput, p50/p99
// latency, rows per execution; the issue's three targets checked. The two cells that target 1
// compares, and the two of target 2, also run in turns within each round (bench/turns.ts), which
// is what their verdicts read. Writes bench/results/serving.md.
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { argv, stderr } from 'node:process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { createLogger } from '../src/kernel/index.js';
import { ServingModule, type InferRequest } from '../src/serving/index.js';
import { mlpModel, mlpReference, tempDir } from '../test/support/onnx-models.js';
import { startPlatform, tempDataDir } from '../test/support/platform.js';
import { closedLoop, percentile, type Call, type LoadResult } from './closed-loop.js';
import { meanBetween, read, type Probe } from './histogram-probe.js';
import { HttpLoad, type HttpClient } from './http-load.js';
import { machine } from './results-file.js';
import { report, targetPairs, writeRun, type CellRun, type Pass } from './serving-report.js';
import { cpuSeconds } from './strata-process.js';
import { takeTurns, type TurnSide } from './turns.js';

const { values } = parseArgs({
  args: argv.slice(2),
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    block: { type: 'string', default: '1' },
    'delay-us': { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '1,8,64' },
    client: { type: 'string', default: 'fetch' },
    encoding: { type: 'string', default: 'json' },
    cells: { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));
const blockSeconds = Number(values.block);
const blocks = Math.max(1, Math.round(seconds / blockSeconds));
const delayUs = Number(values['delay-us']);
const concurrencies = values.concurrency.split(',').map(Number);
const only = values.cells?.split(',');
if (values.client !== 'fetch' && values.client !== 'node' && values.client !== 'undici')
  throw new Error(`--client ${values.client}: use fetch, node or undici`);
const client: HttpClient = values.client;
if (values.encoding !== 'json' && values.encoding !== 'binary')
  throw new Error(`--encoding ${values.encoding}: use json or binary`);
const encoding = values.encoding;
// A full run with the default cells and settings replaces its client's section of the results.
const full =
  values.cells === undefined &&
  values.concurrency === '1,8,64' &&
  delayUs === 200 &&
  rounds >= 3 &&
  values.block === '1';

const INPUT = 768;
const HIDDEN = 3072;
const OUTPUT = 768;
const MAX_BATCH = 64;
/** Requests cycle through 64 distinct rows (or two distinct 32-row blocks). */
const VARIANTS_ROWS = 64;
const BIG = 32;
const WARMUP_SECONDS = 0.25;
const IDLE_MS = 2;
const models = { off: 'mlp', on: 'mlp-batched' } as const;

function log(line: string): void {
  stderr.write(`[bench:serving] ${line}\n`);
}

/** The model config both ways; the same in the results file. */
function modelConfig(batching: boolean): Record<string, unknown> {
  return {
    backend: 'onnx',
    max_batch_size: MAX_BATCH,
    ...(batching ? { dynamic_batching: { max_queue_delay_us: delayUs } } : {}),
    instance_count: 1,
    onnx: { intra_op_threads: 1 },
  };
}

// --- setup: the model repository, the three ways in, the inputs -------------------------------

const repo = await tempDir('strata-bench-serving-');
const mlp = mlpModel({ input: INPUT, hidden: HIDDEN, output: OUTPUT, seed: 7, batch: true });
for (const batching of [false, true]) {
  const dir = join(repo, batching ? models.on : models.off);
  await mkdir(join(dir, '1'), { recursive: true });
  await writeFile(join(dir, 'config.yaml'), stringify(modelConfig(batching)));
  await writeFile(join(dir, '1', 'model.onnx'), mlp.bytes);
}
log(
  `model: MLP ${INPUT} → ${HIDDEN} → ${OUTPUT}, ${(mlp.bytes.length / 2 ** 20).toFixed(1)} MiB, in ${repo}`,
);

// The peer gets the options Strata's worker uses (onnx-worker.ts), with intra_op_threads 1.
const session = await InferenceSession.create(join(repo, models.off, '1', 'model.onnx'), {
  executionProviders: ['cpu'],
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
});

const registry = new Registry();
const serving = new ServingModule({
  dataDir: repo,
  config: { repository: repo, startupModels: ['*'], responseCacheBytes: 0 },
  registry,
  logger: createLogger('silent'),
  secrets: () => undefined,
});
await serving.start();
const service = serving.service;

const dataDir = tempDataDir('bench-serving');
const { platform, url } = await startPlatform(dataDir, ['serving'], { 'serving.repository': repo });
const load = HttpLoad.start(url, client);
log(`in-process ServingModule and platform (target serving) at ${url} ready; HTTP client: ${client}`);

let seed = 12345;
const pool = Float32Array.from({ length: (VARIANTS_ROWS + BIG) * INPUT }, () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 2 ** 31 - 1;
});
const block = (variant: number, rows: number): Float32Array =>
  pool.subarray(variant * rows * INPUT, (variant + 1) * rows * INPUT);
const variantsOf = (rows: number): number => VARIANTS_ROWS / rows;

function inferRequest(model: string, data: Float32Array, rows: number): InferRequest {
  return { model, inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, INPUT], data }] };
}

function rawCall(rows: number): Call {
  const feeds = Array.from({ length: variantsOf(rows) }, (_, v) => ({
    input: new OrtTensor('float32', block(v, rows).slice(), [rows, INPUT]),
  }));
  return (i) => session.run(feeds[i % feeds.length] ?? {});
}

// The service takes ownership of input buffers (it transfers them to the worker thread), so each
// request gets its own copy, as a caller building its input would; that copy is in the timing.
function inProcessCall(model: string, rows: number): Call {
  const variants = variantsOf(rows);
  return (i) => service.infer(inferRequest(model, block(i % variants, rows).slice(), rows));
}

// Bodies are serialised before timing, as the JSON a client sends (float32 values written as the
// doubles they are, which is what numpy's tolist() gives tritonclient), or with --encoding binary
// as tritonclient's default sends them: a JSON header, then the raw float32 bytes, with the output
// asked for as binary too. The client reads each answer to its end but does not parse it
// (http-load.ts).
interface HttpBody {
  readonly body: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
}

function httpBody(v: number, rows: number): HttpBody {
  const data = block(v, rows);
  const shape = [rows, INPUT];
  if (encoding === 'json') {
    const json = { inputs: [{ name: 'input', datatype: 'FP32', shape, data: Array.from(data) }] };
    return { body: Buffer.from(JSON.stringify(json)), headers: { 'content-type': 'application/json' } };
  }
  const header = Buffer.from(
    JSON.stringify({
      inputs: [{ name: 'input', datatype: 'FP32', shape, parameters: { binary_data_size: data.byteLength } }],
      parameters: { binary_data_output: true },
    }),
  );
  return {
    body: Buffer.concat([header, Buffer.from(data.buffer, data.byteOffset, data.byteLength)]),
    headers: {
      'content-type': 'application/octet-stream',
      'inference-header-content-length': String(header.length),
    },
  };
}

/** The first output's elements of an answer in either encoding. */
async function post(model: string, { body, headers }: HttpBody): Promise<ArrayLike<number>> {
  const response = await fetch(`${url}/v2/models/${model}/infer`, { method: 'POST', body, headers });
  const answer = Buffer.from(await response.arrayBuffer());
  if (!response.ok) throw new Error(`HTTP ${response.status}: ${answer.toString().slice(0, 300)}`);
  const headerLength = response.headers.get('inference-header-content-length');
  if (headerLength === null) {
    const json = JSON.parse(answer.toString()) as { outputs: { data: number[] }[] };
    return json.outputs[0]?.data ?? [];
  }
  const floats = answer.subarray(Number(headerLength));
  return new Float32Array(floats.buffer.slice(floats.byteOffset, floats.byteOffset + floats.length));
}

type Load = (concurrency: number, seconds: number) => Promise<LoadResult>;

const onMainThread =
  (call: Call, pauseMs = 0): Load =>
  (concurrency, seconds) =>
    closedLoop(call, concurrency, seconds, pauseMs);

function httpLoad(path: string, bodies: readonly HttpBody[]): Load {
  const headers = bodies[0]?.headers ?? {};
  const raw = bodies.map((b) => b.body);
  return (concurrency, seconds) => load.run({ path, bodies: raw, headers, concurrency, seconds });
}

function inferLoad(model: string, rows: number): Load {
  const bodies = Array.from({ length: variantsOf(rows) }, (_, v) => httpBody(v, rows));
  return httpLoad(`/v2/models/${model}/infer`, bodies);
}

// --- correctness, once: every way in answers the reference forward pass ------------------------

async function checkOutputs(): Promise<void> {
  const x = block(0, 1);
  const want = mlpReference(mlp.layers, x, 1);
  const got: [string, ArrayLike<number>][] = [];
  const raw = (await session.run({ input: new OrtTensor('float32', x.slice(), [1, INPUT]) }))['output'];
  got.push(['raw', (raw?.data ?? []) as Float32Array]);
  for (const model of Object.values(models)) {
    const answer = await service.infer(inferRequest(model, x.slice(), 1));
    got.push([`in-process ${model}`, (answer.outputs[0]?.data ?? []) as Float32Array]);
    got.push([`http ${model}`, await post(model, httpBody(0, 1))]);
  }
  for (const [name, data] of got) {
    let worst = data.length === OUTPUT ? 0 : Infinity;
    for (let i = 0; i < OUTPUT; i++) worst = Math.max(worst, Math.abs((data[i] ?? NaN) - (want[i] ?? 0)));
    if (!(worst <= 1e-4)) throw new Error(`${name}: output differs from the reference by ${worst}`);
  }
  log(`outputs checked against the reference forward pass (${got.length} ways, |error| ≤ 1e-4)`);
}
await checkOutputs();

// --- the cells ---------------------------------------------------------------------------------

interface Cell {
  readonly id: string;
  readonly what: string;
  readonly batching: boolean | undefined;
  readonly rows: number;
  readonly concurrency: number;
  readonly load: Load;
  readonly rowsPerExecution?: Probe;
  readonly serverMs?: Probe;
}

const inProcessMetrics = (): Promise<string> => registry.metrics();
const platformMetrics = async (): Promise<string> => (await fetch(`${url}/metrics`)).text();

function batchProbe(metrics: () => Promise<string>, model: string): Probe {
  return { metrics, histogram: 'strata_model_batch_size', series: `model="${model}"`, scale: 1 };
}

function serverProbe(route: string): Probe {
  const histogram = 'strata_http_request_duration_seconds';
  return { metrics: platformMetrics, histogram, series: `route="${route}"`, scale: 1000 };
}

function strataCell(path: 'in-process' | 'http', batching: boolean, rows: number, concurrency: number): Cell {
  const model = batching ? models.on : models.off;
  const http = path === 'http';
  return {
    id: `${path}-${batching ? 'on' : 'off'}-b${rows}-c${concurrency}`,
    what: http
      ? `HTTP POST /v2 infer${encoding === 'binary' ? ' (binary tensors)' : ''}`
      : 'in-process infer()',
    batching,
    rows,
    concurrency,
    load: http ? inferLoad(model, rows) : onMainThread(inProcessCall(model, rows)),
    rowsPerExecution: batchProbe(http ? platformMetrics : inProcessMetrics, model),
    ...(http ? { serverMs: serverProbe('/v2/models/:model/infer') } : {}),
  };
}

function rawCell(rows: number): Cell {
  return {
    id: `raw-b${rows}-c1`,
    what: 'raw session.run()',
    batching: undefined,
    rows,
    concurrency: 1,
    load: onMainThread(rawCall(rows)),
  };
}

// The peer again, idle between runs for about as long as an HTTP request spends outside the
// model: what the model alone loses when its weights are not kept hot by back-to-back runs.
const rawIdleCell: Cell = {
  id: `raw-b1-c1-idle${IDLE_MS}ms`,
  what: `raw session.run(), ${IDLE_MS} ms idle between runs`,
  batching: undefined,
  rows: 1,
  concurrency: 1,
  load: onMainThread(rawCall(1), IDLE_MS),
};

// The same client and server with no tensor and no model: what any request costs.
const floorCell: Cell = {
  id: 'http-live-c1',
  what: 'HTTP GET /v2/health/live',
  batching: undefined,
  rows: 0,
  concurrency: 1,
  load: httpLoad('/v2/health/live', []),
  serverMs: serverProbe('/v2/health/live'),
};

// Ordered so that the cells each target compares run next to each other.
const allCells: Cell[] = [
  rawCell(1),
  strataCell('in-process', false, 1, 1),
  strataCell('http', false, 1, 1),
  rawIdleCell,
  floorCell,
  rawCell(BIG),
  strataCell('in-process', false, BIG, 1),
  // Two callers keep the instance busy as the raw loop keeps ONNX Runtime busy: the next request
  // is queued while one runs, so the worker hop overlaps the model instead of adding to it.
  strataCell('in-process', false, BIG, 2),
  strataCell('http', false, BIG, 1),
  strataCell('in-process', true, 1, 1),
  strataCell('http', true, 1, 1),
  ...concurrencies
    .filter((c) => c > 1)
    .flatMap((c) => [
      strataCell('in-process', false, 1, c),
      strataCell('in-process', true, 1, c),
      strataCell('http', false, 1, c),
      strataCell('http', true, 1, c),
    ]),
];
const cells = only === undefined ? allCells : allCells.filter((c) => only.some((o) => c.id.includes(o)));

const gc = (globalThis as { gc?: () => void }).gc;

async function pass(cell: Cell): Promise<Pass> {
  await cell.load(cell.concurrency, WARMUP_SECONDS);
  gc?.();
  const probes = [cell.rowsPerExecution, cell.serverMs];
  const readAll = () =>
    Promise.all(probes.map(async (probe) => (probe === undefined ? undefined : read(probe))));
  const before = await readAll();
  const eventLoopBefore = cpuSeconds(process.pid, process.pid);
  const result = await cell.load(cell.concurrency, seconds);
  const eventLoopSeconds = cpuSeconds(process.pid, process.pid) - eventLoopBefore;
  const after = await readAll();
  const [rowsPerExecution = NaN, serverMs = NaN] = probes.map((probe, i) => {
    const from = before[i];
    const to = after[i];
    return probe === undefined || from === undefined || to === undefined ? NaN : meanBetween(probe, from, to);
  });
  const requestsPerSecond = result.requests / result.seconds;
  return {
    rowsPerSecond: requestsPerSecond * cell.rows,
    requestsPerSecond,
    p50: percentile(result.latencies, 0.5),
    p99: percentile(result.latencies, 0.99),
    rowsPerExecution,
    serverMs,
    eventLoopUs: (1e6 * eventLoopSeconds) / result.requests,
    ownCores: result.ownCores,
    machineCores: result.machineCores,
  };
}

const label = (cell: Cell): string =>
  `${cell.what}${cell.batching === undefined ? '' : `, batching ${cell.batching ? 'on' : 'off'}`}` +
  `${cell.rows > 0 ? `, ${cell.rows} row${cell.rows > 1 ? 's' : ''}` : ''} × ${cell.concurrency}`;

// The targets' pairs whose two cells are both in this run.
const pairs = targetPairs(BIG).flatMap(({ side, base }) => {
  const cellOf = (id: string): Cell | undefined => cells.find((c) => c.id === id);
  const [s, b] = [cellOf(side), cellOf(base)];
  return s === undefined || b === undefined ? [] : [{ side: s, base: b }];
});
// Each cell at its own callers.
const turnSide = (cell: Cell): TurnSide => ({ load: (_callers, s) => cell.load(cell.concurrency, s) });
const pairRuns = new Map<string, { side: LoadResult[]; base: LoadResult[] }>(
  pairs.map((p) => [p.side.id, { side: [], base: [] }]),
);

const minutes = ((cells.length + 2 * pairs.length) * rounds * (seconds + WARMUP_SECONDS + 0.3)) / 60;
log(
  `${cells.length} cells × ${rounds} rounds × ${seconds} s, order reversed every other round, then ${pairs.length} target pairs in turns (blocks of ${blockSeconds} s); about ${minutes.toFixed(1)} min`,
);
const passes = new Map<Cell, Pass[]>(cells.map((c) => [c, []]));
for (const cell of cells) await cell.load(cell.concurrency, 2 * WARMUP_SECONDS);
const started = performance.now();
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? cells : [...cells].reverse();
  for (const cell of order) {
    const p = await pass(cell);
    passes.get(cell)?.push(p);
    log(
      `round ${r + 1}/${rounds} ${label(cell)}: ` +
        (cell.rows > 0
          ? `${p.rowsPerSecond.toFixed(0)} rows/s, `
          : `${p.requestsPerSecond.toFixed(0)} requests/s, `) +
        `p50 ${p.p50.toFixed(3)} ms, p99 ${p.p99.toFixed(3)} ms` +
        (Number.isNaN(p.serverMs) ? '' : `, server ${p.serverMs.toFixed(3)} ms`) +
        (Number.isNaN(p.rowsPerExecution) ? '' : `, ${p.rowsPerExecution.toFixed(1)} rows/execution`) +
        `, event loop ${p.eventLoopUs.toFixed(0)} µs/request, CPU ${p.ownCores.toFixed(2)} own / ${p.machineCores.toFixed(2)} machine`,
    );
  }
  for (const pair of pairs) {
    const [side, base] = await takeTurns(
      [turnSide(pair.side), turnSide(pair.base)],
      0,
      blocks,
      blockSeconds,
      r * blocks,
    );
    const run = pairRuns.get(pair.side.id);
    if (side === undefined || base === undefined || run === undefined) continue;
    run.side.push(side.result);
    run.base.push(base.result);
    const rate = (t: typeof side): number => (pair.side.rows * t.result.requests) / t.result.seconds;
    log(
      `round ${r + 1}/${rounds} in turns: ${pair.side.id} ${rate(side).toFixed(0)} rows/s, ${pair.base.id} ${rate(base).toFixed(0)} rows/s, ratio ${(rate(side) / rate(base)).toFixed(2)}`,
    );
  }
}
log(`measured in ${((performance.now() - started) / 60_000).toFixed(1)} min`);

await load.close();
await platform.shutdown();
await serving.stop();
await session.release();
await rm(repo, { recursive: true, force: true });
await rm(dataDir, { recursive: true, force: true });

// --- report ------------------------------------------------------------------------------------

function packageVersion(name: string): string {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const manifest = JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

const parameters = mlp.layers.reduce((n, l) => n + l.weight.length + l.bias.length, 0);
const header = [
  `## Run of ${new Date().toISOString()}`,
  '',
  `- command: \`npm run bench:serving -- ${argv.slice(2).join(' ')}\``.replace(' -- `', '`'),
  `- machine: ${machine()}; onnxruntime-node ${packageVersion('onnxruntime-node')}`,
  `- model: MLP ${INPUT} → ${HIDDEN} → ${OUTPUT}, FP32, ${(parameters / 1e6).toFixed(2)} M parameters; Strata: \`max_batch_size: ${MAX_BATCH}\`, \`instance_count: 1\`, \`onnx.intra_op_threads: 1\`, batching on = \`dynamic_batching: { max_queue_delay_us: ${delayUs} }\`; raw: \`intraOpNumThreads: 1\`, \`interOpNumThreads: 1\`, sequential`,
  `- passes: ${rounds} rounds × ${seconds} s per cell, each after a ${WARMUP_SECONDS} s warm-up, order reversed every other round; every figure is the median of the rounds`,
  `- targets 1 and 2: in each round, after the cells, the two cells each compares run again for ${seconds} s each, taking turns in blocks of ${blockSeconds} s (who goes first alternating); a verdict reads the median of the rounds' ratios`,
  `- callers: raw and in-process on the main thread, which also runs the platform's HTTP server; HTTP callers in a worker thread of the same process (${{ fetch: "Node's fetch", node: 'node:http', undici: "undici's Pool" }[client]}, keep-alive, bodies serialised beforehand, tensors as ${encoding === 'json' ? 'JSON' : 'binary data (the binary tensor data extension, output too)'}); CPU "own" counts every thread of the process, the client's too`,
];
const runs: CellRun[] = cells.map((cell) => ({
  id: cell.id,
  what: cell.what,
  batching: cell.batching,
  rows: cell.rows,
  concurrency: cell.concurrency,
  passes: passes.get(cell) ?? [],
}));
const section = report(header, runs, BIG, pairRuns);
stderr.write(`\n${section}\n`);
const sectionName = `run:${client}-client${encoding === 'json' ? '' : `-${encoding}`}`;
if (full) log(`wrote ${await writeRun(sectionName, section)}`);
else log('not a full run with the default options: the results file is left as it is');
