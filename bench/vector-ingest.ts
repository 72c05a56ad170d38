// npm run bench:vector -- --ingest [--dataset synthetic|fashion-mnist] [--points N] [--threads 2,4]
//   [--rest-points N] [--m 16] [--ef-construction 200]
// Ingestion throughput (docs/decisions/0016): the same points built into an HNSW graph serially and
// with each number of build threads (HnswIndex.upsertMany over a BuildPool), as points/s, speedup
// and recall@10 at ef 64 against exact ground truth; then through the Qdrant upsert route of a
// running platform, batches of 1000 with wait=true, with vector.buildThreads 1 and each number.
// Appends or replaces this data set's ingestion section in bench/results/vector.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuUsage, stderr } from 'node:process';
import { createLogger } from '../src/kernel/index.js';
import { loadConfig, Platform } from '../src/platform/index.js';
import { BuildPool, FlatIndex, HnswIndex, type Metric } from '../src/vector/index.js';
import type { Dataset } from './datasets.js';
import { commandLine, machine, writeResultSection } from './results-file.js';

export interface IngestOptions {
  readonly data: Dataset;
  /** Base points built (a prefix of the data set's). */
  readonly points: number;
  readonly threads: readonly number[];
  /** Points sent through the REST route per run; 0 skips that part. */
  readonly restPoints: number;
  readonly m: number;
  readonly efConstruction: number;
}

const K = 10;
const EF = 64;
const QUERIES = 500;
const REST_BATCH = 1000;

function log(line: string): void {
  stderr.write(`[bench:vector --ingest] ${line}\n`);
}

interface Run {
  readonly name: string;
  readonly seconds: number;
  /** CPU time of the process, worker threads included: on a busy machine, the work done. */
  readonly cpuSeconds: number;
  readonly recall: number;
}

function truthOf(
  base: readonly Float32Array[],
  queries: readonly Float32Array[],
  metric: Metric,
): Set<number>[] {
  const exact = new FlatIndex({ dimension: base[0]?.length ?? 0, metric, capacity: base.length });
  base.forEach((v, id) => {
    exact.upsert(id, v);
  });
  return queries.map((q) => new Set(exact.search(q, K).map((h) => h.id)));
}

function build(options: IngestOptions, base: Float32Array[], threads: number | undefined): HnswIndex {
  const pool = threads === undefined ? undefined : new BuildPool({ threads });
  const index = new HnswIndex({
    dimension: options.data.dim,
    metric: options.data.metric,
    m: options.m,
    efConstruction: options.efConstruction,
    capacity: base.length,
    ...(pool === undefined ? {} : { buildPool: pool }),
  });
  index.upsertMany(
    base.map((_, id) => id),
    base,
  );
  void pool?.close();
  return index;
}

function timedBuild(options: IngestOptions, base: Float32Array[], threads: number | undefined): Run {
  const name = threads === undefined ? 'serial' : `${String(threads)} build threads`;
  log(`building ${String(base.length)} points, ${name}`);
  const started = performance.now();
  const cpu = cpuUsage();
  const index = build(options, base, threads);
  const seconds = (performance.now() - started) / 1000;
  const used = cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  const queries = options.data.queries.slice(0, QUERIES);
  const truth = truthOf(base, queries, options.data.metric);
  let found = 0;
  queries.forEach((q, i) => {
    found += index.search(q, K, { ef: EF }).filter((hit) => truth[i]?.has(hit.id) === true).length;
  });
  const recall = found / (K * queries.length);
  log(`  ${seconds.toFixed(1)} s (CPU ${cpuSeconds.toFixed(1)} s), recall@10 ${recall.toFixed(4)}`);
  return { name, seconds, cpuSeconds, recall };
}

/** Points/s through PUT /collections/{name}/points?wait=true on a fresh platform. */
async function restIngest(options: IngestOptions, threads: number): Promise<number> {
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-ingest-'));
  const config = loadConfig({
    flags: {
      target: 'vector',
      dataDir,
      'server.httpPort': '0',
      'server.grpcPort': '0',
      'logging.level': 'silent',
      'security.auth.enabled': 'false',
      'vector.buildThreads': String(threads),
    },
  });
  const platform = await Platform.create({ config, logger: createLogger('silent'), env: {} });
  await platform.start();
  try {
    const url = platform.server.httpUrl ?? '';
    const { data } = options;
    const distance = { euclidean: 'Euclid', cosine: 'Cosine', dot: 'Dot', manhattan: 'Manhattan' }[
      data.metric
    ];
    const call = async (method: string, path: string, body: unknown): Promise<void> => {
      const response = await fetch(`${url}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (!response.ok)
        throw new Error(`${method} ${path}: ${String(response.status)} ${await response.text()}`);
    };
    await call('PUT', '/collections/ingest', {
      vectors: { size: data.dim, distance },
      hnsw_config: { m: options.m, ef_construct: options.efConstruction },
    });
    const count = Math.min(options.restPoints, data.base.length);
    // The request bodies are made before the clock starts: the client's JSON is not the server's time.
    const bodies: string[] = [];
    for (let from = 0; from < count; from += REST_BATCH) {
      const points = data.base
        .slice(from, Math.min(count, from + REST_BATCH))
        .map((v, i) => ({ id: from + i, vector: Array.from(v) }));
      bodies.push(JSON.stringify({ points }));
    }
    const started = performance.now();
    for (const body of bodies) {
      const response = await fetch(`${url}/collections/ingest/points?wait=true`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body,
      });
      if (!response.ok) throw new Error(`upsert: ${String(response.status)} ${await response.text()}`);
    }
    return count / ((performance.now() - started) / 1000);
  } finally {
    await platform.shutdown();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export async function runIngest(options: IngestOptions): Promise<void> {
  const base = options.data.base.slice(0, options.points);
  const serial = timedBuild(options, base, undefined);
  const parallel = options.threads.map((threads) => timedBuild(options, base, threads));
  const rest: [string, number][] = [];
  if (options.restPoints > 0) {
    for (const threads of [1, ...options.threads]) {
      log(
        `REST: ${String(Math.min(options.restPoints, base.length))} points, vector.buildThreads ${String(threads)}`,
      );
      const rate = await restIngest(options, threads);
      log(`  ${rate.toFixed(0)} points/s`);
      rest.push([`vector.buildThreads ${String(threads)}`, rate]);
    }
  }
  const rate = (run: Run): string => (base.length / run.seconds).toFixed(0);
  const lines = [
    `## Ingestion: ${options.data.name}, ${String(base.length)} points`,
    '',
    `- machine: ${machine()}`,
    `- command: \`${commandLine('bench:vector')}\``,
    `- M ${String(options.m)}, efConstruction ${String(options.efConstruction)}; recall@10 at ef ${String(EF)} over ${String(Math.min(QUERIES, options.data.queries.length))} queries`,
    '',
    '| build | seconds | CPU seconds | points/s | speedup | recall@10 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...[serial, ...parallel].map(
      (run) =>
        `| ${run.name} | ${run.seconds.toFixed(1)} | ${run.cpuSeconds.toFixed(1)} | ${rate(run)} | ${(serial.seconds / run.seconds).toFixed(2)}× | ${run.recall.toFixed(4)} |`,
    ),
    '',
  ];
  if (rest.length > 0) {
    lines.push(
      `REST: PUT /collections/{name}/points?wait=true, batches of ${String(REST_BATCH)}, fsync per the default config:`,
      '',
      '| server | points/s |',
      '| --- | --- |',
      ...rest.map(([name, value]) => `| ${name} | ${value.toFixed(0)} |`),
      '',
    );
  }
  const section = lines.join('\n');
  process.stdout.write(`${section}\n`);
  const file = await writeResultSection(
    'vector.md',
    '# Vector search benchmark\n',
    `ingest:${options.data.name}`,
    section,
  );
  log(`wrote ${file}`);
}
