// npm run bench:vector-scale -- [--n 10000000] [--dim 128] [--nlist 1024] [--m 16] [--queries 200]
//   [--nprobe 8,16,32,64] [--oversampling 8] [--training 40000] [--iterations 10] [--rounds 3]
//   [--originals disk|memory] [--cache-mib 64] [--dir PATH]
//
// IVF-PQ at a scale where the data set does not fit in memory: the synthetic clustered vectors of
// bench/datasets.ts are generated as a stream and added one by one, so nothing holds the base set;
// exact ground truth for the queries is kept while it streams past. Reports build throughput,
// resident memory once built, and recall@10, QPS and latency per nprobe; writes its section of
// bench/results/vector.md. With `--originals disk` (the default) the float32 vectors that rescoring
// reads live in a file under --dir behind a block cache of --cache-mib, as an on_disk collection's do.
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryUsage, resourceUsage, stderr } from 'node:process';
import { parseArgs } from 'node:util';
import { BlockCache, DiskFullVectors, IvfPqIndex, type FullVectorsFactory } from '../src/vector/index.js';
import { clusteredStream } from './datasets.js';
import { commandLine, machine, writeResultSection } from './results-file.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '10000000' },
    dim: { type: 'string', default: '128' },
    nlist: { type: 'string', default: '1024' },
    m: { type: 'string', default: '16' },
    queries: { type: 'string', default: '200' },
    nprobe: { type: 'string', default: '8,16,32,64' },
    oversampling: { type: 'string', default: '8' },
    training: { type: 'string', default: '40000' },
    iterations: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    originals: { type: 'string', default: 'disk' },
    'cache-mib': { type: 'string', default: '64' },
    dir: { type: 'string', default: join(tmpdir(), 'strata-vector-scale') },
  },
});
if (values.originals !== 'disk' && values.originals !== 'memory')
  throw new Error(`--originals ${values.originals}: use disk or memory`);
const n = Number(values.n);
const dim = Number(values.dim);
const nlist = Number(values.nlist);
const subquantizers = Number(values.m);
const queryCount = Number(values.queries);
const nprobes = values.nprobe.split(',').map(Number);
const oversampling = Number(values.oversampling);
const rounds = Math.max(1, Number(values.rounds));
const K = 10;

function log(line: string): void {
  stderr.write(`[bench:vector-scale] ${line}\n`);
}

const gc = (globalThis as { gc?: () => void }).gc;
const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** The exact K nearest base ids of each query, updated as each base vector streams past. */
class StreamingTruth {
  readonly #queries: Float32Array;
  /** Per query, K (distance, id) pairs kept sorted nearest first. */
  readonly #distances: Float64Array;
  readonly #ids: Float64Array;

  constructor(queries: readonly Float32Array[]) {
    this.#queries = new Float32Array(queries.length * dim);
    queries.forEach((q, i) => {
      this.#queries.set(q, i * dim);
    });
    this.#distances = new Float64Array(queries.length * K).fill(Infinity);
    this.#ids = new Float64Array(queries.length * K).fill(-1);
  }

  see(id: number, v: Float32Array): void {
    const qs = this.#queries;
    for (let q = 0, at = 0; q < queryCount; q++, at += dim) {
      let sum = 0;
      for (let j = 0; j < dim; j++) {
        const t = (qs[at + j] ?? 0) - (v[j] ?? 0);
        sum += t * t;
      }
      const last = q * K + K - 1;
      if (sum >= (this.#distances[last] ?? 0)) continue;
      let slot = last;
      while (slot > q * K && (this.#distances[slot - 1] ?? 0) > sum) {
        this.#distances[slot] = this.#distances[slot - 1] ?? 0;
        this.#ids[slot] = this.#ids[slot - 1] ?? 0;
        slot--;
      }
      this.#distances[slot] = sum;
      this.#ids[slot] = id;
    }
  }

  of(query: number): Set<number> {
    return new Set(this.#ids.subarray(query * K, query * K + K));
  }
}

interface Point {
  readonly nprobe: number;
  readonly recall: number;
  readonly qps: number;
  readonly p50: number;
  readonly p99: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

function measure(
  index: IvfPqIndex,
  queries: readonly Float32Array[],
  truth: StreamingTruth,
  nprobe: number,
): Point {
  const qpsRounds: number[] = [];
  let latencies: number[] = [];
  let found = 0;
  for (let round = 0; round < rounds; round++) {
    latencies = [];
    found = 0;
    const started = performance.now();
    queries.forEach((q, i) => {
      const t = performance.now();
      const hits = index.search(q, K, { nprobe });
      latencies.push(performance.now() - t);
      const want = truth.of(i);
      for (const hit of hits) if (want.has(hit.id)) found++;
    });
    qpsRounds.push(queries.length / ((performance.now() - started) / 1000));
  }
  latencies.sort((a, b) => a - b);
  return {
    nprobe,
    recall: found / (queries.length * K),
    qps: median(qpsRounds),
    p50: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  };
}

const cache = new BlockCache(Number(values['cache-mib']) * 2 ** 20);
const originalsFile = join(values.dir, 'originals.f32');
const onDisk: FullVectorsFactory = (dimension, metric) =>
  new DiskFullVectors({ path: originalsFile, dimension, metric, cache });

const next = clusteredStream(dim);
const queries = Array.from({ length: queryCount }, next);
const truth = new StreamingTruth(queries);
const index = new IvfPqIndex({
  dimension: dim,
  metric: 'euclidean',
  nlist,
  m: subquantizers,
  trainingSize: Number(values.training),
  iterations: Number(values.iterations),
  oversampling,
  ...(values.originals === 'disk' ? { fullVectors: onDisk } : {}),
});
log(
  `IVF-PQ nlist ${nlist}, m ${subquantizers}, rescoring ×${oversampling}; ${n} × ${dim} synthetic vectors, ${queryCount} queries`,
);
const started = performance.now();
let lastReport = started;
let trainedAt: number | undefined;
for (let id = 0; id < n; id++) {
  const v = next();
  index.upsert(id, v);
  truth.see(id, v);
  if (trainedAt === undefined && index.trained) {
    trainedAt = performance.now();
    log(`trained on ${values.training} vectors in ${((trainedAt - started) / 1000).toFixed(1)} s`);
  }
  const now = performance.now();
  if (now - lastReport > 10_000 || id === n - 1) {
    lastReport = now;
    const seconds = (now - started) / 1000;
    const rate = (id + 1) / seconds;
    log(
      `added ${id + 1}/${n} (${(((id + 1) / n) * 100).toFixed(1)}%), ${rate.toFixed(0)} vectors/s, ` +
        `resident ${mib(memoryUsage().rss)}, about ${((n - id - 1) / rate / 60).toFixed(1)} min left`,
    );
  }
}
const buildSeconds = (performance.now() - started) / 1000;
index.compact();
gc?.();
const usage = memoryUsage();
const peak = resourceUsage().maxRSS * 1024;
log(
  `built in ${buildSeconds.toFixed(0)} s; resident ${mib(usage.rss)} (peak ${mib(peak)}), index accounts ${mib(index.memoryBytes())}`,
);
const points = nprobes.map((nprobe) => {
  const point = measure(index, queries, truth, nprobe);
  log(`nprobe ${nprobe}: recall@10 ${point.recall.toFixed(3)}, ${point.qps.toFixed(0)} QPS`);
  return point;
});
const afterSearch = memoryUsage().rss;
const cacheStats = cache.stats();
index.close();
rmSync(values.dir, { recursive: true, force: true });
const originals =
  values.originals === 'disk'
    ? `in a file (${mib(n * dim * 4)}) behind a block cache of ${values['cache-mib']} MiB (hit rate ${(cacheStats.hits / Math.max(1, cacheStats.hits + cacheStats.misses)).toFixed(3)} over the searches)`
    : 'in memory';

const lines = [
  `## IVF-PQ at scale: synthetic ${n} × ${dim}, euclidean`,
  '',
  `- command: \`${commandLine('bench:vector-scale')}\``,
  `- machine: ${machine()}`,
  `- date: ${new Date().toISOString()}`,
  `- index: IVF-PQ, nlist ${nlist}, m ${subquantizers} (${subquantizers} code bytes per vector), trained on ${values.training} vectors, ${values.iterations} k-means iterations; the best k × ${oversampling} PQ candidates rescored with the float32 originals, which are ${originals}`,
  `- build: ${buildSeconds.toFixed(0)} s, ${(n / buildSeconds).toFixed(0)} vectors/s (one thread, ground truth for ${queryCount} queries computed in the same loop)`,
  `- resident memory once built: **${mib(usage.rss)}** (JS heap ${mib(usage.heapUsed)}, array buffers ${mib(usage.arrayBuffers)}); after the searches ${mib(afterSearch)}; peak during the build ${mib(peak)}; the index's own accounting ${mib(index.memoryBytes())}`,
  `- recall@10 against exact ground truth, QPS single-threaded (median of ${rounds} rounds over ${queryCount} queries), latency in ms`,
  '',
  '| nprobe | recall@10 | QPS | p50 / p99 ms |',
  '| ---: | ---: | ---: | ---: |',
  ...points.map(
    (p) =>
      `| ${p.nprobe} | ${p.recall.toFixed(3)} | ${p.qps.toFixed(0)} | ${p.p50.toFixed(2)} / ${p.p99.toFixed(2)} |`,
  ),
  '',
];
const header = '# Vector search benchmark\n';
const file = await writeResultSection('vector.md', header, `scale:ivf-pq-${n}x${dim}`, lines.join('\n'));
log(`wrote ${file}`);
