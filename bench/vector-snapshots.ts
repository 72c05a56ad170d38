// npm run bench:vector -- --snapshots [--points 200000] [--dim 64]
// What a snapshot, a restore and a large upsert cost the requests around them (docs/decisions/0014,
// 0016): a `strata start` process with one collection of --points random vectors; one caller
// sends GET /collections back to back, alone, then while the collection is snapshotted
// (POST /collections/big/snapshots), while that snapshot is recovered into a second collection
// (PUT /collections/copy/snapshots/recover), and while 10000 new points are upserted in one request
// (PUT /collections/big/points). Reports each operation's time and the caller's p50, p99 and worst
// latency during it. Appends or replaces its section in bench/results/vector.md.
import { join } from 'node:path';
import { stderr } from 'node:process';
import { pathToFileURL } from 'node:url';
import { percentile } from './closed-loop.js';
import { commandLine, machine, writeResultSection } from './results-file.js';
import { startStrata, stopStrata } from './strata-process.js';

export interface SnapshotBenchOptions {
  readonly points: number;
  readonly dim: number;
}

const BATCH = 2000;
const IDLE_SECONDS = 2;
/** Points of the large upsert (about 8 MB of JSON at 64 dimensions, under the 16 MiB body limit). */
const LARGE_UPSERT = 10_000;

function log(line: string): void {
  stderr.write(`[bench:vector --snapshots] ${line}\n`);
}

/** The latencies of GET /collections sent back to back while `operation` runs, and its time. */
async function probeDuring(
  url: string,
  operation: () => Promise<void>,
): Promise<{ seconds: number; latencies: Float64Array }> {
  const latencies: number[] = [];
  const state = { running: true };
  const probe = (async () => {
    while (state.running) {
      const sent = performance.now();
      const answer = await fetch(`${url}/collections`);
      await answer.arrayBuffer();
      latencies.push(performance.now() - sent);
    }
  })();
  const started = performance.now();
  try {
    await operation();
  } finally {
    state.running = false;
  }
  const seconds = (performance.now() - started) / 1000;
  await probe;
  return { seconds, latencies: Float64Array.from(latencies).sort() };
}

async function call(url: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const answer = await fetch(url + path, {
    method,
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  const json = (await answer.json()) as { result?: unknown };
  if (!answer.ok) throw new Error(`${method} ${path}: HTTP ${answer.status} ${JSON.stringify(json)}`);
  return json.result;
}

export async function runSnapshotBench({ points, dim }: SnapshotBenchOptions): Promise<void> {
  const server = await startStrata({
    name: 'snapshots',
    target: 'vector',
    settings: { 'security.auth.enabled': 'false' },
  });
  const { url } = server;
  try {
    await call(url, 'PUT', '/collections/big', {
      vectors: { size: dim, distance: 'Euclid' },
      hnsw_config: { m: 8, ef_construct: 32 },
    });
    let seed = 7;
    const random = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 2 ** 32 - 0.5;
    };
    const pointsFrom = (first: number, count: number) =>
      Array.from({ length: count }, (_, i) => ({
        id: first + i,
        vector: Array.from({ length: dim }, random),
        payload: { n: first + i },
      }));
    for (let first = 0; first < points; first += BATCH) {
      const batch = pointsFrom(first, Math.min(BATCH, points - first));
      await call(url, 'PUT', '/collections/big/points?wait=true', { points: batch });
      if ((first / BATCH) % 10 === 0) log(`${String(first + batch.length)} / ${String(points)} points`);
    }

    const phases: { name: string; seconds: number; latencies: Float64Array }[] = [];
    phases.push({
      name: 'nothing else (idle)',
      ...(await probeDuring(url, () => new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000)))),
    });
    let name = '';
    phases.push({
      name: 'POST /collections/big/snapshots',
      ...(await probeDuring(url, async () => {
        name = ((await call(url, 'POST', '/collections/big/snapshots')) as { name: string }).name;
      })),
    });
    const location = pathToFileURL(join(server.dataDir, 'vector', 'user-snapshots', 'big', name)).href;
    phases.push({
      name: 'PUT /collections/copy/snapshots/recover',
      ...(await probeDuring(url, async () => {
        await call(url, 'PUT', '/collections/copy/snapshots/recover', { location });
      })),
    });
    const large = { points: pointsFrom(points, LARGE_UPSERT) };
    phases.push({
      name: `PUT /collections/big/points (${String(LARGE_UPSERT)} points)`,
      ...(await probeDuring(url, async () => {
        await call(url, 'PUT', '/collections/big/points?wait=true', large);
      })),
    });
    for (const p of phases)
      log(`${p.name}: ${p.seconds.toFixed(2)} s, worst ${(p.latencies.at(-1) ?? NaN).toFixed(1)} ms`);

    const ms = (x: number): string => x.toFixed(1);
    const lines = [
      `## Snapshot, restore and a large upsert: ${String(points)} × ${String(dim)} (${new Date().toISOString()})`,
      '',
      `- command: \`${commandLine('bench:vector')}\``,
      `- machine: ${machine()}`,
      `- a \`strata start --target vector\` process; collection \`big\`: ${String(points)} random vectors of ${String(dim)} dimensions, Euclid, \`hnsw_config: { m: 8, ef_construct: 32 }\`, a one-field payload each; one caller sends \`GET /collections\` back to back (fetch) during each phase`,
      '',
      '| while | took s | requests | p50 ms | p99 ms | worst ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...phases.map(
        (p) =>
          `| ${p.name} | ${p.name.startsWith('nothing') ? '—' : p.seconds.toFixed(2)} | ${String(p.latencies.length)} | ${ms(percentile(p.latencies, 0.5))} | ${ms(percentile(p.latencies, 0.99))} | ${ms(p.latencies.at(-1) ?? NaN)} |`,
      ),
      '',
    ];
    const file = await writeResultSection(
      'vector.md',
      '# Vector benchmarks\n',
      `snapshots:${String(points)}x${String(dim)}`,
      lines.join('\n'),
    );
    log(`wrote ${file}`);
  } finally {
    await stopStrata(server);
  }
}
