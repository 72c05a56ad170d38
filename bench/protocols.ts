// npm run bench:protocols -- [--seconds 4] [--rounds 5] [--block 0.25] [--concurrency 1,64]
//   [--protocols rest,grpc-unary,grpc-stream,graphql]  only these (to profile one)
//   [--server-cpu-prof DIR]  the server writes a V8 CPU profile (node --cpu-prof) into DIR as it exits
// What the protocol costs an inference: the same small ONNX model (an MLP 64 → 64 → 64, FP32,
// dynamic batching on) on one `strata start --target serving` process, called over REST (POST
// /v2/models/<m>/infer, JSON), gRPC ModelInfer (one unary call per request), gRPC
// ModelStreamInfer (every request a message on one stream) and GraphQL (the `infer` query), by
// closed-loop callers in the benchmark process. The protocols take turns in short blocks within each round (turns.ts), so the
// shared host's drift falls on all alike; throughput, p50/p99 and the server's CPU per request,
// medians of the rounds. The target: gRPC streaming ≥ 1.5× REST's throughput at 64
// callers. A full run (default options) writes bench/results/protocols.md.
import { rm } from 'node:fs/promises';
import { argv, stderr } from 'node:process';
import { parseArgs } from 'node:util';
import { Client, credentials } from '@grpc/grpc-js';
import { mulberry32 } from '../src/vector/index.js';
import { writeModel } from '../test/support/model-repository.js';
import { mlpModel, mlpReference, tempDir } from '../test/support/onnx-models.js';
import { closedLoop, median, percentile, type LoadResult } from './closed-loop.js';
import { InferStream, modelInfer, outputOf } from './grpc-inference-client.js';
import { meanBetween, read, type Probe } from './histogram-probe.js';
import { HttpLoad } from './http-load.js';
import { commandLine, machine, writeResultSection } from './results-file.js';
import { cpuSeconds, startStrata, stopStrata, waitFor } from './strata-process.js';
import { pairedRatio, summarize, takeTurns, type Load } from './turns.js';

const { values } = parseArgs({
  args: argv.slice(2),
  options: {
    seconds: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '5' },
    block: { type: 'string', default: '0.25' },
    concurrency: { type: 'string', default: '1,64' },
    protocols: { type: 'string', default: 'rest,grpc-unary,grpc-stream,graphql' },
    'server-cpu-prof': { type: 'string' },
  },
});
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));
const block = Number(values.block);
const blocks = Math.max(1, Math.round(seconds / block));
const concurrencies = values.concurrency.split(',').map(Number);
const profileDir = values['server-cpu-prof'];
// A profiled server is slower, so only an unprofiled run with the defaults is a result.
const full =
  values.seconds === '4' &&
  rounds >= 5 &&
  values.block === '0.25' &&
  values.concurrency === '1,64' &&
  values.protocols === 'rest,grpc-unary,grpc-stream,graphql' &&
  profileDir === undefined;
const log = (message: string): void => {
  stderr.write(`[bench:protocols] ${message}\n`);
};

// --- the model: small, so that what is measured is the protocol, not the model ----------------

const MODEL = 'mlp';
const WIDTH = 64;
const MAX_BATCH = 64;
const DELAY_US = 100;
/** Requests cycle through this many distinct input rows. */
const VARIANTS = 64;
const modelConfig = {
  backend: 'onnx',
  max_batch_size: MAX_BATCH,
  dynamic_batching: { max_queue_delay_us: DELAY_US },
  instance_count: 1,
  onnx: { intra_op_threads: 1 },
};
const mlp = mlpModel({ input: WIDTH, hidden: WIDTH, output: WIDTH, seed: 11, batch: true });
const random = mulberry32(12345);
const rows = Array.from({ length: VARIANTS }, () =>
  Float32Array.from({ length: WIDTH }, () => 2 * random() - 1),
);

const repository = await tempDir('strata-bench-protocols-');
await writeModel(repository, MODEL, modelConfig, { 1: { 'model.onnx': mlp.bytes } });
const server = await startStrata({
  name: 'protocols',
  target: 'serving',
  settings: { 'security.auth.enabled': 'false', 'serving.repository': repository },
  nodeArgs: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
});
await waitFor(server, `/v2/models/${MODEL}/ready`);
log(`strata (target serving) ready at ${server.url} and ${server.grpcAddress}, model ${MODEL} loaded`);

// --- the protocols -----------------------------------------------------------------------------

/**
 * One way in to the model: a load of closed-loop callers, and the model's output for an input
 * row through it, for the check before timing.
 */
interface Protocol {
  readonly name: string;
  /** How its requests are sent, for the results. */
  readonly how: string;
  readonly load: Load;
  readonly answer: (variant: number) => Promise<Float32Array>;
  readonly close: () => Promise<void>;
}

function rest(): Protocol {
  const path = `/v2/models/${MODEL}/infer`;
  const headers = { 'content-type': 'application/json' };
  // Serialised beforehand, as the JSON a client sends (float32 values written as the doubles they
  // are, which is what numpy's tolist() gives tritonclient).
  const bodies = rows.map((data) =>
    Buffer.from(
      JSON.stringify({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH], data: Array.from(data) }],
      }),
    ),
  );
  const http = HttpLoad.start(server.url, 'node');
  return {
    name: 'REST',
    how: `\`POST ${path}\`, JSON tensors; node:http with keep-alive (one connection per caller) in a worker thread, which reads each answer to its end without parsing it`,
    load: (concurrency, seconds) => http.run({ path, bodies, headers, concurrency, seconds }),
    answer: async (v) => {
      const response = await fetch(server.url + path, { method: 'POST', headers, body: bodies[v] ?? null });
      const text = await response.text();
      if (!response.ok) throw new Error(`REST: HTTP ${response.status}: ${text.slice(0, 300)}`);
      return Float32Array.from(
        (JSON.parse(text) as { outputs: { data: number[] }[] }).outputs[0]?.data ?? [],
      );
    },
    close: () => http.close(),
  };
}

function graphql(): Protocol {
  const path = '/graphql';
  const headers = { 'content-type': 'application/json' };
  // One query text, the tensor as a variable, as a GraphQL client sends it; serialised beforehand.
  const query = `query ($inputs: [TensorInput!]!) { infer(model: "${MODEL}", inputs: $inputs) { outputs { data } } }`;
  const bodies = rows.map((data) =>
    Buffer.from(
      JSON.stringify({
        query,
        variables: {
          inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH], data: Array.from(data) }],
        },
      }),
    ),
  );
  const http = HttpLoad.start(server.url, 'node');
  return {
    name: 'GraphQL',
    how: `\`POST ${path}\`, the \`infer\` query with the tensor as a variable, its output elements as JSON; node:http with keep-alive in a worker thread, as REST`,
    load: (concurrency, seconds) => http.run({ path, bodies, headers, concurrency, seconds }),
    answer: async (v) => {
      const response = await fetch(server.url + path, { method: 'POST', headers, body: bodies[v] ?? null });
      const text = await response.text();
      const answer = JSON.parse(text) as {
        data?: { infer: { outputs: { data: number[] }[] } };
        errors?: unknown;
      };
      if (!response.ok || answer.data === undefined)
        throw new Error(`GraphQL: HTTP ${response.status}: ${text.slice(0, 300)}`);
      return Float32Array.from(answer.data.infer.outputs[0]?.data ?? []);
    },
    close: () => http.close(),
  };
}

// tritonclient's default: the tensor as raw little-endian bytes in raw_input_contents, which the
// server answers in kind (raw_output_contents).
const grpcRequests = rows.map((data) => ({
  model_name: MODEL,
  inputs: [{ name: 'input', datatype: 'FP32', shape: [1, WIDTH] }],
  raw_input_contents: [Buffer.from(data.buffer, data.byteOffset, data.byteLength)],
}));
const grpcRequest = (v: number) => grpcRequests[v % VARIANTS] ?? {};

const grpcCallers =
  "callers on the benchmark process's main thread, on one channel (one HTTP/2 connection) of @grpc/grpc-js";

function grpcUnary(): Protocol {
  const client = new Client(server.grpcAddress, credentials.createInsecure());
  const infer = (v: number) => modelInfer(client, grpcRequest(v));
  return {
    name: 'gRPC unary',
    how: `\`ModelInfer\`, raw_input_contents; N callers = N calls in flight, ${grpcCallers}`,
    load: (concurrency, seconds) => closedLoop((i) => infer(i), concurrency, seconds),
    answer: async (v) => outputOf(await infer(v)),
    close: async () => {
      client.close();
    },
  };
}

function grpcStream(): Protocol {
  const stream = new InferStream(server.grpcAddress);
  return {
    name: 'gRPC streaming',
    how: `\`ModelStreamInfer\`, raw_input_contents; N callers = N messages in flight on one stream, each caller sending its next once the answer with its id is back; ${grpcCallers}`,
    load: (concurrency, seconds) => closedLoop((i) => stream.infer(grpcRequest(i)), concurrency, seconds),
    answer: async (v) => outputOf(await stream.infer(grpcRequest(v))),
    close: () => stream.close(),
  };
}

const protocolTable: Readonly<Record<string, () => Protocol>> = {
  rest,
  'grpc-unary': grpcUnary,
  'grpc-stream': grpcStream,
  graphql,
};
const protocols = values.protocols.split(',').map((id) => {
  const make = protocolTable[id];
  if (make === undefined)
    throw new Error(`--protocols ${id}: use ${Object.keys(protocolTable).join(', ')}, comma-separated`);
  return make();
});
const restIndex = protocols.findIndex((p) => p.name === 'REST');

// --- correctness, once: every row through every protocol, all in flight at once ------------------

async function checkOutputs(): Promise<void> {
  const want = rows.map((data) => mlpReference(mlp.layers, data, 1));
  const answers = await Promise.all(protocols.map((p) => Promise.all(rows.map((_, v) => p.answer(v)))));
  const worst = (a: Float32Array, b: Float32Array): number =>
    a.length === b.length && a.length === WIDTH
      ? Math.max(...a.map((x, i) => Math.abs(x - (b[i] ?? NaN))))
      : Infinity;
  let apart = 0;
  for (const [p, protocol] of protocols.entries()) {
    for (const [v, expected] of want.entries()) {
      const got = answers[p]?.[v] ?? new Float32Array();
      const error = worst(got, expected);
      if (!(error <= 1e-4))
        throw new Error(`${protocol.name}, row ${v}: differs from the reference by ${error}`);
      apart = Math.max(apart, worst(got, answers[0]?.[v] ?? new Float32Array()));
    }
  }
  if (!(apart <= 1e-5)) throw new Error(`the protocols' answers differ from each other by up to ${apart}`);
  log(
    `outputs checked: ${VARIANTS} rows in flight at once through each protocol, each its own row's forward pass (|error| ≤ 1e-4), the protocols within ${apart.toExponential(1)} of each other`,
  );
}
await checkOutputs();

// --- the rounds --------------------------------------------------------------------------------

const turnSides = protocols.map((p) => ({ load: p.load, serverCpu: () => cpuSeconds(server.pid) }));
const results = new Map<string, LoadResult[]>();
/** The server's CPU time per request (user + system), µs, per round. */
const serverCpu = new Map<string, number[]>();
const cell = (protocol: number, concurrency: number): string => `${protocol}/${concurrency}`;
const add = <T>(map: Map<string, T[]>, id: string, value: T): void => {
  map.set(id, [...(map.get(id) ?? []), value]);
};

log(`${rounds} rounds × ${seconds} s per protocol and callers, in blocks of ${block} s taken in turns`);
for (const side of turnSides) {
  for (const concurrency of concurrencies) await side.load(concurrency, 0.5);
}
const started = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const concurrency of concurrencies) {
    const turns = await takeTurns(turnSides, concurrency, blocks, block, r * blocks);
    for (const [p, { result, serverCpuPerRequest }] of turns.entries()) {
      add(results, cell(p, concurrency), result);
      add(serverCpu, cell(p, concurrency), serverCpuPerRequest);
      log(
        `round ${r + 1}/${rounds} ${protocols[p]?.name} × ${concurrency}: ${(result.requests / result.seconds).toFixed(0)} requests/s, p50 ${percentile(result.latencies, 0.5).toFixed(3)} ms, p99 ${percentile(result.latencies, 0.99).toFixed(3)} ms, server CPU ${serverCpuPerRequest.toFixed(1)} µs/request`,
      );
    }
  }
}
log(`measured in ${((performance.now() - started) / 60_000).toFixed(1)} min`);

// Rows per model execution, read from the server's batch-size histogram over one more pass per
// cell: how much the batcher merged, which the timed blocks cannot tell apart (one model, sides
// in turns).
const batchProbe: Probe = {
  metrics: async () => (await fetch(`${server.url}/metrics`)).text(),
  histogram: 'strata_model_batch_size',
  series: `model="${MODEL}"`,
  scale: 1,
};
const rowsPerExecution = new Map<string, number>();
for (const [p, protocol] of protocols.entries()) {
  for (const concurrency of concurrencies) {
    const before = await read(batchProbe);
    await protocol.load(concurrency, 1);
    rowsPerExecution.set(cell(p, concurrency), meanBetween(batchProbe, before, await read(batchProbe)));
  }
}

for (const protocol of protocols) await protocol.close();
await stopStrata(server);
await rm(repository, { recursive: true, force: true });
await rm(server.dataDir, { recursive: true, force: true });
if (profileDir !== undefined) log(`the server's CPU profile is in ${profileDir}`);

// --- report ------------------------------------------------------------------------------------

const parameters = mlp.layers.reduce((n, l) => n + l.weight.length + l.bias.length, 0);
const lines = [
  `## Run of ${new Date().toISOString()}`,
  '',
  `- command: \`${commandLine('bench:protocols')}\``,
  `- machine: ${machine()}`,
  `- model: MLP ${WIDTH} → ${WIDTH} → ${WIDTH}, FP32 (${parameters} parameters), one row per request, ONNX backend; \`max_batch_size: ${MAX_BATCH}\`, \`dynamic_batching: { max_queue_delay_us: ${DELAY_US} }\`, \`instance_count: 1\`, \`onnx.intra_op_threads: 1\``,
  '- server: one `strata start --target serving` process (authentication off, warnings-only logging) serving every protocol',
  ...protocols.map((p) => `- ${p.name}: ${p.how}`),
  '- server CPU at 1 caller is mostly waiting, not the protocol: the ONNX worker polls for the next request for `onnx.poll_us` (default 200 µs) after each answer, and the batcher waits out the sub-millisecond `max_queue_delay_us` one event-loop turn at a time; at 64 callers those waits are filled with work',
  `- method: ${rounds} rounds × ${seconds} s per protocol and callers, in blocks of ${block} s with the protocols taking turns (the order rotating each block); every figure the median of the rounds, × REST the median of the rounds' ratios (the protocols took turns within a round, so its ratio compares them under the same drift). Server CPU: user + system time of the server process (/proc) over a protocol's blocks per request answered. Client CPU: the benchmark process's CPU time per request (the callers' thread; the machine's cores are shared with the server). Rows/execution: mean batch size the server ran, over one more 1 s pass per cell`,
  '',
  '| callers | protocol | requests/s | × REST | p50 ms | p99 ms | server CPU µs/request | client CPU µs/request | rows/execution | requests/s per round |',
  '| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
];
const runsOf = (p: number, concurrency: number): LoadResult[] => results.get(cell(p, concurrency)) ?? [];
const throughput = (p: number, concurrency: number): number => summarize(runsOf(p, concurrency)).rps;
const overRest = (p: number, concurrency: number): number =>
  pairedRatio(runsOf(p, concurrency), runsOf(restIndex, concurrency));
const cpuOf = (p: number, concurrency: number): number => median(serverCpu.get(cell(p, concurrency)) ?? []);
for (const concurrency of concurrencies) {
  for (const [p, protocol] of protocols.entries()) {
    const runs = runsOf(p, concurrency);
    const s = summarize(runs);
    const client = median(runs.map((r) => (1e6 * r.ownCores * r.seconds) / r.requests));
    lines.push(
      `| ${concurrency} | ${protocol.name} | ${s.rps.toFixed(0)} | ${overRest(p, concurrency).toFixed(2)} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} | ${cpuOf(p, concurrency).toFixed(1)} | ${client.toFixed(1)} | ${(rowsPerExecution.get(cell(p, concurrency)) ?? NaN).toFixed(1)} | ${s.perRound} |`,
    );
  }
}
const streaming = protocols.findIndex((p) => p.name === 'gRPC streaming');
lines.push(
  '',
  '| callers | gRPC streaming / REST throughput, median of the rounds (target ≥ 1.5× at 64 callers) | ratio of the medians | server CPU per request, REST / gRPC streaming |',
  '| ---: | --- | --- | --- |',
);
for (const concurrency of concurrencies) {
  const ratio = overRest(streaming, concurrency);
  const verdict = concurrency === 64 ? (ratio >= 1.5 ? ' **PASS**' : ' **FAIL**') : ' (shown, no target)';
  const rounds = runsOf(streaming, concurrency).map((run, r) =>
    pairedRatio([run], runsOf(restIndex, concurrency).slice(r, r + 1)).toFixed(2),
  );
  const [stream, rest] = [throughput(streaming, concurrency), throughput(restIndex, concurrency)];
  const [streamCpu, restCpu] = [cpuOf(streaming, concurrency), cpuOf(restIndex, concurrency)];
  lines.push(
    `| ${concurrency} | **${ratio.toFixed(2)}×**${verdict} (rounds: ${rounds.join(' / ')}) | ` +
      `${stream.toFixed(0)} / ${rest.toFixed(0)} = ${(stream / rest).toFixed(2)}× | ` +
      `${restCpu.toFixed(1)} / ${streamCpu.toFixed(1)} µs = ${(restCpu / streamCpu).toFixed(2)}× |`,
  );
}
lines.push('');
const section = lines.join('\n');
stderr.write(`\n${section}\n`);
if (full) {
  const header =
    '# Protocol benchmark: one model over REST, gRPC unary, gRPC streaming and GraphQL\n\nWritten by `npm run bench:protocols`; a full run replaces its section.\n';
  log(`wrote ${await writeResultSection('protocols.md', header, 'run:protocols', section)}`);
} else log('not a full run with the default options: the results file is left as it is');
