// npm run bench:vector -- [--dataset synthetic|fashion-mnist|glove|synthetic-1m] [--queries N]
//   [--ef 10,20,40] [--m 16] [--ef-construction 200] [--rounds 3]
//   [--quantization int8,binary] [--oversampling 2] [--binary-oversampling 4]
//   [--on-disk] [--disk-cache-share 0,0.1] [--points N]
//   [--ivf-pq] [--nlist N] [--pq-m M] [--ivf-oversampling 8]
// npm run bench:vector -- --plan [--points 20000] [--dim 64] [--batch 64] [--rounds 5]
//   query plans instead (bench/vector-plan.ts): batch vs single filtered queries, explain's cost.
// npm run bench:vector -- --ingest [--dataset synthetic|fashion-mnist] [--points N] [--threads 2]
//   [--rest-points N]    ingestion throughput, serial against parallel builds (bench/vector-ingest.ts)
// npm run bench:vector -- --snapshots [--points 200000] [--dim 64]
//   what a snapshot and a restore cost the requests around them (bench/vector-snapshots.ts)
// npm run bench:vector -- --base FILE [--queries FILE] [--truth FILE] [--metric euclidean|cosine|dot]
//   [--max-queries N]    your own data: .fvecs/.bvecs/.npy (f4 or f8, C order) vectors, .ivecs/.npy
//   ground truth (computed exactly when absent), or one ann-benchmarks .hdf5 file as --base.
// Strata's HNSW against hnswlib-node (native, bench-only) on the same data in the same process,
// single thread, and beside it Strata's HNSW over int8 and binary codes with full-precision
// rescoring (`--quantization none` leaves them out): recall@10 against exact ground truth, QPS, p50/p99 latency per ef, build time and
// resident memory. `--on-disk` adds int8 + rescore with the originals in a file behind a block
// cache of `--disk-cache-share` of their bytes (decision 0014), one engine per share listed (0:
// no cache, every rescored row read from the file); `--ivf-pq` adds IVF-PQ (nlist
// about √n, m code bytes near d / 4, rescored from the originals), whose nprobe takes the ef
// values; `--points` shrinks the synthetic
// sets for a quick run. Appends or replaces this data set's section in bench/results/vector.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { argv, exit, memoryUsage, stderr } from 'node:process';
import { parseArgs } from 'node:util';
import type hnswlibTypes from 'hnswlib-node';
import {
  BlockCache,
  DiskFullVectors,
  FlatIndex,
  HnswIndex,
  IvfPqIndex,
  QuantizedHnswIndex,
  type Metric,
} from '../src/vector/index.js';
import { fashionMnist, glove, syntheticClustered, userDataset, type Dataset } from './datasets.js';
import { machine, writeResultSection } from './results-file.js';
import { runPlanBench } from './vector-plan.js';

const K = 10;

/**
 * hnswlib-node is an optional dependency: a native addon compiled at install, which `npm ci` skips
 * on a machine without a C++ toolchain. Strata itself never needs it; only this comparison does.
 */
async function loadHnswlib(): Promise<typeof hnswlibTypes> {
  try {
    return (await import('hnswlib-node')).default;
  } catch (cause) {
    throw new Error(
      'hnswlib-node is not installed: it is an optional dependency built with node-gyp. Install python3, make and a C++ compiler, then run npm ci.',
      { cause },
    );
  }
}
const { values } = parseArgs({
  args: argv.slice(2),
  options: {
    dataset: { type: 'string', default: 'synthetic' },
    /** A count for the built-in data sets, a file with --base. */
    queries: { type: 'string' },
    base: { type: 'string' },
    truth: { type: 'string' },
    metric: { type: 'string' },
    'max-queries': { type: 'string' },
    ef: { type: 'string', default: '10,16,24,32,48,64,96,128,192,256' },
    m: { type: 'string', default: '16' },
    'ef-construction': { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    quantization: { type: 'string', default: 'int8,binary' },
    oversampling: { type: 'string', default: '2' },
    'binary-oversampling': { type: 'string', default: '4' },
    'on-disk': { type: 'boolean', default: false },
    'ivf-pq': { type: 'boolean', default: false },
    nlist: { type: 'string' },
    'pq-m': { type: 'string' },
    'ivf-oversampling': { type: 'string', default: '8' },
    'disk-cache-share': { type: 'string', default: '0,0.1' },
    /** Synthetic sets shrunk to this many points; the --plan run's points (default 20000). */
    points: { type: 'string' },
    plan: { type: 'boolean', default: false },
    dim: { type: 'string', default: '64' },
    batch: { type: 'string', default: '64' },
    ingest: { type: 'boolean', default: false },
    snapshots: { type: 'boolean', default: false },
    threads: { type: 'string', default: '2' },
    'rest-points': { type: 'string', default: '20000' },
  },
});
const diskCacheShares = values['disk-cache-share'].split(',').map(Number);
const m = Number(values.m);
const efConstruction = Number(values['ef-construction']);
const efs = values.ef.split(',').map(Number);
const rounds = Math.max(1, Number(values.rounds));
const quantizations = values.quantization
  .split(',')
  .filter((name) => name !== 'none' && name !== '')
  .map((name) => {
    if (name !== 'int8' && name !== 'binary')
      throw new Error(`--quantization ${name}: use int8, binary or none`);
    return name;
  });
const oversamplingOf = { int8: Number(values.oversampling), binary: Number(values['binary-oversampling']) };

if (values.plan) {
  await runPlanBench({
    points: Number(values.points ?? 20000),
    dim: Number(values.dim),
    batch: Number(values.batch),
    rounds: Math.max(rounds, 5),
  });
  exit(0);
}

if (values.snapshots) {
  const { runSnapshotBench } = await import('./vector-snapshots.js');
  await runSnapshotBench({ points: Number(values.points ?? 200_000), dim: Number(values.dim) });
  exit(0);
}

if (values.ingest) {
  const { runIngest } = await import('./vector-ingest.js');
  const queries = Number(values.queries ?? 500);
  const points = values.points === undefined ? undefined : Number(values.points);
  const data =
    values.dataset === 'fashion-mnist'
      ? fashionMnist(queries)
      : syntheticClustered(points ?? 100_000, queries, 128);
  await runIngest({
    data,
    points: points ?? data.base.length,
    threads: values.threads.split(',').map(Number),
    restPoints: Number(values['rest-points']),
    m,
    efConstruction,
  });
  exit(0);
}

// Loaded before any data set, so a missing peer fails in the first second, not after a long load.
const hnswlib = await loadHnswlib();

function log(line: string): void {
  stderr.write(`[bench:vector] ${line}\n`);
}

const metrics: readonly Metric[] = ['euclidean', 'cosine', 'dot'];

function userMetric(): Metric | undefined {
  const { metric } = values;
  if (metric === undefined) return undefined;
  const found = metrics.find((name) => name === metric);
  if (found === undefined) throw new Error(`--metric ${metric}: use euclidean, cosine or dot`);
  return found;
}

async function loadDataset(): Promise<Dataset> {
  if (values.base !== undefined) {
    const metric = userMetric();
    return userDataset({
      base: values.base,
      ...(values.queries === undefined ? {} : { queries: values.queries }),
      ...(values.truth === undefined ? {} : { truth: values.truth }),
      ...(metric === undefined ? {} : { metric }),
      ...(values['max-queries'] === undefined ? {} : { maxQueries: Number(values['max-queries']) }),
    });
  }
  const queries = values.queries === undefined ? undefined : Number(values.queries);
  const points = values.points === undefined ? undefined : Number(values.points);
  switch (values.dataset) {
    case 'synthetic':
      return syntheticClustered(points ?? 100_000, queries ?? 2000, 128);
    case 'synthetic-1m':
      return syntheticClustered(points ?? 1_000_000, queries ?? 2000, 128);
    case 'fashion-mnist':
      return fashionMnist(queries ?? 10_000);
    case 'glove':
      return glove(queries ?? 10_000);
    default:
      throw new Error(
        `unknown --dataset ${values.dataset}; use synthetic, synthetic-1m, fashion-mnist or glove`,
      );
  }
}

const gc = (globalThis as { gc?: () => void }).gc;
function rss(): number {
  gc?.();
  return memoryUsage().rss;
}

interface Point {
  readonly ef: number;
  readonly recall: number;
  readonly qps: number;
  readonly p50: number;
  readonly p99: number;
}

interface Built {
  readonly name: string;
  readonly buildSeconds: number;
  readonly memoryBytes: number;
  /** Bytes of vector data per point held in RAM for search, and (quantized) the originals kept for rescoring. */
  readonly vectorBytes?: { readonly search: number; readonly originals: number };
  /** Originals on disk: the cache's budget (and its share of them) and its counts after the sweep (read lazily). */
  readonly disk?: {
    readonly budget: number;
    readonly share: number;
    readonly fileBytes: number;
    readonly stats: () => string;
  };
  /** Returns the ids of the K nearest; the index stays referenced through this closure. */
  readonly search: (query: number, ef: number) => number[];
}

interface EngineRun extends Built {
  readonly points: Point[];
}

function groundTruth(data: Dataset): Set<number>[] {
  if (data.truth !== undefined) {
    log('ground truth: from the data set');
    return data.truth.map((ids) => new Set(ids.subarray(0, K)));
  }
  const exact = new FlatIndex({ dimension: data.dim, metric: data.metric, capacity: data.base.length });
  data.base.forEach((v, id) => {
    exact.upsert(id, v);
  });
  const started = performance.now();
  const truth = data.queries.map((q, i) => {
    if (i % 1000 === 999) log(`ground truth ${i + 1}/${data.queries.length}`);
    return new Set(exact.search(q, K).map((h) => h.id));
  });
  log(`ground truth: ${((performance.now() - started) / 1000).toFixed(1)} s (exact WASM scan)`);
  return truth;
}

/** Queries per turn of one engine within a round (see sweep). */
const BLOCK = 250;

/**
 * One round at one ef: every engine answers every query once. The queries go in blocks of
 * BLOCK, each block answered by every engine in turn (the first engine alternating from block to
 * block), so a burst of other work on the shared machine, which lasts from milliseconds to
 * seconds, hits the engines alike instead of whichever pass it fell in. Each engine's QPS is its
 * queries over its own summed time.
 */
function round(engines: readonly Built[], data: Dataset, truth: Set<number>[], ef: number): Point[] {
  const n = data.queries.length;
  const latencies = engines.map(() => new Float64Array(n));
  const busy = engines.map(() => 0);
  const found = engines.map(() => 0);
  for (let from = 0, b = 0; from < n; from += BLOCK, b++) {
    const to = Math.min(n, from + BLOCK);
    for (let j = 0; j < engines.length; j++) {
      const k = (j + b) % engines.length;
      const engine = engines[k];
      const lat = latencies[k];
      if (engine === undefined || lat === undefined) continue;
      const started = performance.now();
      for (let i = from; i < to; i++) {
        const t = performance.now();
        const ids = engine.search(i, ef);
        lat[i] = performance.now() - t;
        const want = truth[i];
        for (const id of ids) if (want?.has(id) === true) found[k] = (found[k] ?? 0) + 1;
      }
      busy[k] = (busy[k] ?? 0) + (performance.now() - started);
    }
  }
  return engines.map((_, k) => {
    const lat = (latencies[k] ?? new Float64Array(0)).sort();
    return {
      ef,
      recall: (found[k] ?? 0) / (K * n),
      qps: n / ((busy[k] ?? 1) / 1000),
      p50: (lat[Math.floor(lat.length * 0.5)] ?? 0) * 1000,
      p99: (lat[Math.floor(lat.length * 0.99)] ?? 0) * 1000,
    };
  });
}

/** Per ef, `rounds` interleaved rounds (see round), and each engine's median round by QPS. */
function sweep(engines: readonly Built[], data: Dataset, truth: Set<number>[]): Point[][] {
  const points: Point[][] = engines.map(() => []);
  for (const ef of efs) {
    const passes: Point[][] = engines.map(() => []);
    for (const engine of engines)
      for (let i = 0; i < Math.min(200, data.queries.length); i++) engine.search(i, ef);
    for (let r = 0; r < rounds; r++) round(engines, data, truth, ef).forEach((p, k) => passes[k]?.push(p));
    const medians = passes.map((p) => p.sort((a, b) => a.qps - b.qps)[Math.floor(p.length / 2)]);
    medians.forEach((point, k) => {
      if (point !== undefined) points[k]?.push(point);
    });
    log(
      `  ef ${ef}: ` +
        engines
          .map((e, k) => {
            const qps = (passes[k] ?? []).map((p) => p.qps.toFixed(0)).join(' ');
            return `${e.name} recall@10 ${medians[k]?.recall.toFixed(4) ?? '?'}, QPS ${qps}`;
          })
          .join('; '),
    );
  }
  return points;
}

function buildProgress(i: number, n: number, started: number): void {
  if (i % 20_000 === 19_999)
    log(`  ${i + 1}/${n} inserted, ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

function buildStrata(data: Dataset): Built {
  log(`Strata HNSW: building ${data.base.length} points (M ${m}, efConstruction ${efConstruction})`);
  const before = rss();
  const started = performance.now();
  const index = new HnswIndex({
    dimension: data.dim,
    metric: data.metric,
    m,
    efConstruction,
    capacity: data.base.length,
  });
  data.base.forEach((v, id) => {
    index.upsert(id, v);
    buildProgress(id, data.base.length, started);
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const memoryBytes = rss() - before;
  log(
    `Strata: built in ${buildSeconds.toFixed(1)} s, backend ${index.backend}, index memory ${mb(index.memoryBytes())}`,
  );
  return {
    name: `Strata (${index.backend})`,
    buildSeconds,
    memoryBytes,
    vectorBytes: { search: index.vectorBytes() / index.size, originals: 0 },
    search: (i, ef) => index.search(data.queries[i] ?? [], K, { ef }).map((h) => h.id),
  };
}

/** Where a quantized engine keeps its originals: in RAM, or on disk behind a cache of this share of them. */
function placeName(cacheShare: number | undefined): string {
  if (cacheShare === undefined) return '';
  return cacheShare === 0 ? ' (on disk, no cache)' : ` (on disk, cache ${(cacheShare * 100).toFixed(0)}%)`;
}

function buildQuantized(data: Dataset, kind: 'int8' | 'binary', cacheShare?: number): Built {
  const oversampling = oversamplingOf[kind];
  const onDisk = cacheShare !== undefined;
  const where = placeName(cacheShare);
  log(
    `Strata HNSW over ${kind} codes${where}: building ${data.base.length} points (rescoring ${oversampling} × k)`,
  );
  const before = rss();
  const started = performance.now();
  // A cache of a share of the originals' bytes, in the process's temporary folder (deleted at exit).
  const budget = Math.floor((cacheShare ?? 0) * data.base.length * data.dim * 4);
  const cache = new BlockCache(budget);
  let store: DiskFullVectors | undefined;
  const folder = onDisk ? mkdtempSync(join(tmpdir(), 'strata-bench-disk-')) : undefined;
  if (folder !== undefined) {
    process.once('exit', () => {
      rmSync(folder, { recursive: true, force: true });
    });
  }
  const index = new QuantizedHnswIndex({
    dimension: data.dim,
    metric: data.metric,
    m,
    efConstruction,
    capacity: data.base.length,
    quantization: { kind },
    oversampling,
    ...(folder === undefined
      ? {}
      : {
          fullVectors: (dimension: number, metric: Metric) =>
            (store = new DiskFullVectors({ path: join(folder, 'originals.f32'), dimension, metric, cache })),
        }),
  });
  data.base.forEach((v, id) => {
    index.upsert(id, v);
    buildProgress(id, data.base.length, started);
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const memoryBytes = rss() - before;
  const vectors = index.vectorMemory();
  log(
    `Strata ${kind}${where}: built in ${buildSeconds.toFixed(1)} s, codes ${mb(vectors.codes)}, originals in RAM ${mb(vectors.originals)}, index memory ${mb(index.memoryBytes())}`,
  );
  return {
    name: `Strata ${kind} + rescore ×${oversampling}${where}`,
    buildSeconds,
    memoryBytes,
    // On disk, the originals' bytes in RAM are the cached blocks, read when the report is written.
    get vectorBytes() {
      const now = index.vectorMemory();
      return { search: now.codes / index.size, originals: now.originals / index.size };
    },
    ...(store === undefined
      ? {}
      : {
          disk: {
            budget,
            share: cacheShare ?? 0,
            fileBytes: store.fileBytes(),
            stats: () => {
              const { bytes, hits, misses } = cache.stats();
              return `cached ${mb(bytes)} of ${mb(budget)}, ${hits} hits, ${misses} misses (${((100 * hits) / Math.max(1, hits + misses)).toFixed(1)}% hits)`;
            },
          },
        }),
    search: (i, ef) => index.search(data.queries[i] ?? [], K, { ef }).map((h) => h.id),
  };
}

/** The PQ subquantizers for d dimensions: the divisor of d nearest d / 4 (4 floats per code byte). */
function pqSubquantizers(d: number): number {
  let best = 1;
  for (let m = 1; m <= d; m++) if (d % m === 0 && Math.abs(m - d / 4) < Math.abs(best - d / 4)) best = m;
  return best;
}

// IVF-PQ's knob is nprobe, not ef: the sweep's ef values are used as nprobe.
function buildIvfPq(data: Dataset): Built {
  const nlist = Number(values.nlist ?? 2 ** Math.round(Math.log2(Math.sqrt(data.base.length))));
  const subquantizers = Number(values['pq-m'] ?? pqSubquantizers(data.dim));
  const oversampling = Number(values['ivf-oversampling']);
  log(
    `Strata IVF-PQ (nlist ${nlist}, m ${subquantizers}, rescoring ${oversampling} × k): building ${data.base.length} points`,
  );
  const before = rss();
  const started = performance.now();
  const index = new IvfPqIndex({
    dimension: data.dim,
    metric: data.metric,
    nlist,
    m: subquantizers,
    oversampling,
  });
  data.base.forEach((v, id) => {
    index.upsert(id, v);
    buildProgress(id, data.base.length, started);
  });
  index.compact();
  const buildSeconds = (performance.now() - started) / 1000;
  const memoryBytes = rss() - before;
  log(`Strata IVF-PQ: built in ${buildSeconds.toFixed(1)} s, index memory ${mb(index.memoryBytes())}`);
  return {
    name: `Strata IVF-PQ m${subquantizers} + rescore ×${oversampling} (ef = nprobe of ${nlist})`,
    buildSeconds,
    memoryBytes,
    vectorBytes: { search: index.listBytesPerVector, originals: data.dim * 4 },
    search: (i, ef) => index.search(data.queries[i] ?? [], K, { nprobe: ef }).map((h) => h.id),
  };
}

function spaceOf(metric: Metric): hnswlibTypes.SpaceName {
  if (metric === 'manhattan') throw new Error('hnswlib has no L1 space');
  return metric === 'euclidean' ? 'l2' : metric === 'dot' ? 'ip' : 'cosine';
}

function buildHnswlib(data: Dataset): Built {
  log(`hnswlib-node: building ${data.base.length} points`);
  const before = rss();
  const started = performance.now();
  const index = new hnswlib.HierarchicalNSW(spaceOf(data.metric), data.dim);
  index.initIndex(data.base.length, m, efConstruction, 100);
  data.base.forEach((v, id) => {
    index.addPoint(Array.from(v), id);
    buildProgress(id, data.base.length, started);
  });
  const buildSeconds = (performance.now() - started) / 1000;
  const memoryBytes = rss() - before;
  log(`hnswlib-node: built in ${buildSeconds.toFixed(1)} s`);
  // hnswlib-node takes plain arrays; converting outside the timed loop keeps that cost out of its QPS.
  const queries = data.queries.map((q) => Array.from(q));
  return {
    name: 'hnswlib-node',
    buildSeconds,
    memoryBytes,
    search: (i, ef) => {
      index.setEf(ef);
      return index.searchKnn(queries[i] ?? [], K).neighbors;
    },
  };
}

/** QPS where the recall curve crosses `target`, interpolated linearly between measured ef values. */
function qpsAt(points: Point[], target: number): string {
  const first = points[0];
  if (first === undefined) return 'n/a';
  if (first.recall >= target)
    return `≥ ${first.qps.toFixed(0)} (ef ${first.ef} already ${first.recall.toFixed(3)})`;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1];
    const b = points[i];
    if (a === undefined || b === undefined || b.recall < target) continue;
    const t = (target - a.recall) / (b.recall - a.recall || 1);
    return (a.qps + t * (b.qps - a.qps)).toFixed(0);
  }
  return `not reached (max ${Math.max(...points.map((p) => p.recall)).toFixed(3)})`;
}

const mb = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

function report(data: Dataset, strata: EngineRun, lib: EngineRun, quantized: readonly EngineRun[]): string {
  const ours = [strata, ...quantized];
  const lines = [
    `## ${data.name}`,
    '',
    `- command: \`npm run bench:vector -- ${argv.slice(2).join(' ')}\``.replace(' -- `', '`'),
    `- machine: ${machine()}; ${new Date().toISOString()}`,
    `- data: ${data.base.length} base vectors, ${data.queries.length} queries, ${data.dim}-d, ${data.metric}; k = ${K}; M ${m}, efConstruction ${efConstruction}; single thread, one query at a time`,
    `- search: per ef, ${rounds} rounds over all queries; within a round the engines take turns on blocks of ${BLOCK} queries (who goes first alternating), so noise on the shared host hits all alike; each engine's QPS is its queries over its own summed time, and its median round (by QPS) is reported`,
    `- build: ${ours.map((e) => `${e.name} ${e.buildSeconds.toFixed(1)} s`).join(', ')}, hnswlib-node ${lib.buildSeconds.toFixed(1)} s`,
    `- resident memory added by the index: ${ours.map((e) => `${e.name} ${mb(e.memoryBytes)}`).join(', ')}, hnswlib-node ${mb(lib.memoryBytes)}`,
    `- vector bytes per point searched in RAM (graph links apart): ${ours
      .map((e) => {
        const v = e.vectorBytes;
        if (v === undefined) return `${e.name} ?`;
        const share = ((100 * v.search) / (strata.vectorBytes?.search ?? v.search)).toFixed(1);
        if (e.disk !== undefined)
          return `${e.name} ${v.search.toFixed(0)} (${share}% of float32; + ${v.originals.toFixed(1)} of cached originals, the rest on disk: ${(((v.search + v.originals) * 100) / (strata.vectorBytes?.search ?? 1)).toFixed(1)}% of float32 resident)`;
        return v.originals === 0
          ? `${e.name} ${v.search.toFixed(0)}`
          : `${e.name} ${v.search.toFixed(0)} (${share}% of float32; + ${v.originals.toFixed(0)} of float32 originals for rescoring, which may live on disk)`;
      })
      .join(', ')}`,
    ...ours.flatMap((e) =>
      e.disk === undefined
        ? []
        : [
            `- ${e.name}: originals file ${mb(e.disk.fileBytes)}, block cache budget ${mb(e.disk.budget)} (${(e.disk.share * 100).toFixed(0)}% of the originals); after the sweep ${e.disk.stats()}`,
          ],
    ),
    `- QPS at recall@10 = 0.95 (interpolated): ${ours.map((e) => `${e.name} ${qpsAt(e.points, 0.95)}`).join(', ')}, hnswlib-node ${qpsAt(lib.points, 0.95)}`,
    '',
    `| ef | ${ours.map((e) => `${e.name} recall@10 | QPS | p50 / p99 µs | QPS ÷ hnswlib`).join(' | ')} | hnswlib recall@10 | hnswlib QPS | hnswlib p50 / p99 µs |`,
    `| ---: | ${ours.map(() => '---: | ---: | ---: | ---:').join(' | ')} | ---: | ---: | ---: |`,
  ];
  lib.points.forEach((h, i) => {
    const cells = ours.map((e) => {
      const s = e.points[i];
      if (s === undefined) return '| | |';
      return `${s.recall.toFixed(4)} | ${s.qps.toFixed(0)} | ${s.p50.toFixed(3)} / ${s.p99.toFixed(3)} | ${(s.qps / h.qps).toFixed(2)}`;
    });
    lines.push(
      `| ${h.ef} | ${cells.join(' | ')} | ${h.recall.toFixed(4)} | ${h.qps.toFixed(0)} | ${h.p50.toFixed(3)} / ${h.p99.toFixed(3)} |`,
    );
  });
  return lines.join('\n') + '\n';
}

function writeSection(name: string, section: string): Promise<string> {
  const header =
    '# Vector search benchmark: Strata HNSW (float32, int8, binary) vs hnswlib-node\n\nWritten by `npm run bench:vector`; one section per data set, replaced on each run.\n';
  return writeResultSection('vector.md', header, `dataset:${name}`, section);
}

// A user data set gets its own section, named after its base file.
const sectionName = values.base === undefined ? values.dataset : `file:${basename(values.base)}`;
log(`loading ${sectionName}`);
const data = await loadDataset();
log(`${data.name}: ${data.base.length} base, ${data.queries.length} queries, ${data.dim}-d ${data.metric}`);
// Both indexes are built, and stay alive, before anything else allocates: each resident-memory
// delta then holds that index and nothing freed or allocated by another phase.
const strataBuilt = buildStrata(data);
const quantizedBuilt = quantizations.map((kind) => buildQuantized(data, kind));
if (values['on-disk']) {
  for (const share of diskCacheShares) quantizedBuilt.push(buildQuantized(data, 'int8', share));
}
if (values['ivf-pq']) quantizedBuilt.push(buildIvfPq(data));
const libBuilt = buildHnswlib(data);
const truth = groundTruth(data);
log(
  `search sweep: ${rounds} rounds per ef, engines taking turns on blocks of ${BLOCK} queries; median reported`,
);
const [strataPoints = [], libPoints = [], ...quantizedPoints] = sweep(
  [strataBuilt, libBuilt, ...quantizedBuilt],
  data,
  truth,
);
const strata: EngineRun = { ...strataBuilt, points: strataPoints };
const lib: EngineRun = { ...libBuilt, points: libPoints };
const quantized = quantizedBuilt.map((built, k) => ({ ...built, points: quantizedPoints[k] ?? [] }));
const section = report(data, strata, lib, quantized);
stderr.write(`\n${section}\n`);
log(`wrote ${await writeSection(sectionName, section)}`);
