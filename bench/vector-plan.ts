// npm run bench:vector -- --plan [--points 20000] [--dim 64] [--batch 64] [--rounds 7]
// Query plans (docs/decisions/0015), through the vector procedures every transport calls:
// a query/batch of filtered queries sharing three filters against the same queries sent one by
// one, and the cost of `params.explain` (absent, false, true) on single queries. Writes the
// `plan` section of bench/results/vector.md.
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stderr } from 'node:process';
import { Value } from '@sinclair/typebox/value';
import { Registry } from 'prom-client';
import { createLogger } from '../src/kernel/index.js';
import { VectorModule, mulberry32, vectorConfigSchema, type VectorConfig } from '../src/vector/index.js';
import { commandLine, machine, writeResultSection } from './results-file.js';

export interface PlanBenchOptions {
  readonly points: number;
  readonly dim: number;
  readonly batch: number;
  readonly rounds: number;
}

function log(line: string): void {
  stderr.write(`[bench:vector --plan] ${line}\n`);
}

// Unfiltered queries are fast: each explain variant runs its queries this many times per round,
// so that one timing spans tens of milliseconds.
const EXPLAIN_REPEATS = 10;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

export async function runPlanBench(options: PlanBenchOptions): Promise<void> {
  const { points, dim, batch, rounds } = options;
  const dataDir = mkdtempSync(join(tmpdir(), 'strata-bench-plan-'));
  const defaults = Value.Default(vectorConfigSchema, {}) as VectorConfig;
  const module = new VectorModule({
    dataDir,
    registry: new Registry(),
    config: { ...defaults, storage: { ...defaults.storage, fsync: 'never' }, maxBatchSearches: batch },
    logger: createLogger('silent'),
  });
  await module.start();
  try {
    const vectors = module.procedures;
    const random = mulberry32(7);
    const vectorOf = (): number[] => Array.from({ length: dim }, () => random() * 2 - 1);
    // Under 1000 matching points a filter is scanned exactly, above it the graph is walked.
    await vectors.createCollection('plan', {
      vectors: { size: dim, distance: 'Euclid' },
      hnsw_config: { m: 16, ef_construct: 100, full_scan_threshold: 1000 },
    });
    log(`inserting ${String(points)} ${String(dim)}-d points`);
    for (let from = 0; from < points; from += 1000) {
      await vectors.upsert('plan', {
        points: Array.from({ length: Math.min(1000, points - from) }, (_, j) => {
          const id = from + j;
          return {
            id,
            vector: vectorOf(),
            payload: { group: id % 10, tag: `t${String(id % 7)}`, rare: id % 200 === 0 },
          };
        }),
      });
    }
    // No payload index: finding the matching points reads every payload, the work a batch shares.
    const filters = [
      { must: [{ key: 'group', match: { any: [0, 1, 2] } }] },
      { must: [{ key: 'tag', match: { value: 't3' } }] },
      { must: [{ key: 'rare', match: { value: true } }] },
    ];
    const searches = Array.from({ length: batch }, (_, i) => ({
      query: vectorOf(),
      limit: 10,
      filter: filters[i % filters.length],
    }));
    const singles = (): void => {
      for (const search of searches) vectors.query('plan', search);
    };
    const batched = (): void => {
      vectors.queryBatch('plan', { searches });
    };
    const unfiltered = searches.map(({ query }) => ({ query, limit: 10 }));
    const explainRuns = {
      absent: unfiltered,
      false: unfiltered.map((search) => ({ ...search, params: { explain: false } })),
      true: unfiltered.map((search) => ({ ...search, params: { explain: true } })),
    };
    // Each round times every variant once, the first one rotating from round to round, so that
    // bursts of other work on a shared machine hit them alike.
    const variants: [string, () => void][] = [
      ['single', singles],
      ['batch', batched],
      ...Object.entries(explainRuns).map(([name, runs]): [string, () => void] => [
        `explain ${name}`,
        () => {
          for (let repeat = 0; repeat < EXPLAIN_REPEATS; repeat++)
            for (const search of runs) vectors.query('plan', search);
        },
      ]),
    ];
    const times = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    for (let round = 0; round <= rounds; round++) {
      for (let j = 0; j < variants.length; j++) {
        const [name, run] = variants[(j + round) % variants.length] ?? ['', () => undefined];
        const started = performance.now();
        run();
        // Round 0 warms the JIT and the caches; it is not counted.
        if (round > 0) times.get(name)?.push(performance.now() - started);
      }
    }
    const qps = (name: string): number =>
      (name.startsWith('explain') ? EXPLAIN_REPEATS * batch : batch) / (median(times.get(name) ?? []) / 1000);
    const section = [
      `## Query plans: batch vs single queries, explain overhead`,
      '',
      `${String(points)} points, ${String(dim)}-d Euclid, m 16; ${String(batch)} queries, limit 10, median of ${String(rounds)} rounds; ${machine()}. \`${commandLine('bench:vector')}\``,
      '',
      '| run | queries/s | vs single |',
      '| --- | --- | --- |',
      ...['single', 'batch'].map(
        (name) =>
          `| ${name} (3 filters, 2 walked, 1 scanned) | ${qps(name).toFixed(0)} | ${(qps(name) / qps('single')).toFixed(2)}× |`,
      ),
      ...Object.keys(explainRuns).map(
        (name) =>
          `| unfiltered, explain ${name} | ${qps(`explain ${name}`).toFixed(0)} | ${(qps(`explain ${name}`) / qps('explain absent')).toFixed(2)}× of absent |`,
      ),
      '',
    ].join('\n');
    stderr.write(`\n${section}\n`);
    const header = '# Vector search benchmark\n';
    log(`wrote ${await writeResultSection('vector.md', header, 'plan', section)}`);
  } finally {
    await module.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
