import { writeResultSection } from './results-file.js';
import { median, type LoadResult } from './closed-loop.js';
import { pairedRatio, roundRatios } from './turns.js';

/** One timed pass of one cell. */
export interface Pass {
  readonly rowsPerSecond: number;
  readonly requestsPerSecond: number;
  /** Client-side latency per request, ms. */
  readonly p50: number;
  readonly p99: number;
  /** Mean rows per backend execution (the batcher's batch size); NaN for raw. */
  readonly rowsPerExecution: number;
  /** Mean time per request inside the HTTP server (Fastify's elapsed time, from its metrics); NaN off HTTP. */
  readonly serverMs: number;
  /**
   * CPU time of the main thread per request, µs: the event loop, which runs the platform's HTTP
   * server and Strata's side of every request, and also the raw and in-process callers (clock ticks
   * of 10 ms over the pass, so about ±1 µs per request at these rates).
   */
  readonly eventLoopUs: number;
  readonly ownCores: number;
  readonly machineCores: number;
}

export interface CellRun {
  readonly id: string;
  /** What is measured, as the table's first column says it. */
  readonly what: string;
  /** Dynamic batching; undefined for raw onnxruntime-node and the HTTP floor. */
  readonly batching: boolean | undefined;
  /** Rows per request; 0 for requests without a tensor (the HTTP floor). */
  readonly rows: number;
  readonly concurrency: number;
  readonly passes: readonly Pass[];
}

type Summary = { readonly [K in keyof Pass]: number };

/** Each figure is the median over the passes, figure by figure. */
export function summary(cell: CellRun): Summary {
  const mid = (key: keyof Pass): number => median(cell.passes.map((p) => p[key]));
  return {
    rowsPerSecond: mid('rowsPerSecond'),
    requestsPerSecond: mid('requestsPerSecond'),
    p50: mid('p50'),
    p99: mid('p99'),
    rowsPerExecution: mid('rowsPerExecution'),
    serverMs: mid('serverMs'),
    eventLoopUs: mid('eventLoopUs'),
    ownCores: mid('ownCores'),
    machineCores: mid('machineCores'),
  };
}

export interface Verdict {
  readonly target: string;
  readonly measured: string;
  /** undefined when a cell it needs was not run. */
  readonly pass: boolean | undefined;
}

const pct = (x: number): string => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;
const ms = (x: number): string => x.toFixed(3);

/**
 * The pairs that targets 1 and 2 compare, by cell id: besides its own passes, each pair is run
 * with its two cells taking turns in short blocks (bench/turns.ts), so that the host's drift falls
 * on both alike, and a target's ratio is the median of the rounds' ratios.
 */
export function targetPairs(big: number): readonly { readonly side: string; readonly base: string }[] {
  return [
    { side: 'http-on-b1-c64', base: 'http-off-b1-c64' },
    { side: `in-process-off-b${big}-c2`, base: `raw-b${big}-c1` },
  ];
}

/** A pair's turns, one merged result per round for each cell. */
export interface PairRun {
  readonly side: readonly LoadResult[];
  readonly base: readonly LoadResult[];
}

/** The paired reading of `side` against `base`: medians of each, and the median of the rounds' ratios. */
function paired(run: PairRun, rows: number): { side: number; base: number; ratio: number; rounds: string } {
  const rowsPerSecond = (results: readonly LoadResult[]): number =>
    median(results.map((r) => (rows * r.requests) / r.seconds));
  return {
    side: rowsPerSecond(run.side),
    base: rowsPerSecond(run.base),
    ratio: pairedRatio(run.side, run.base),
    rounds: roundRatios(run.side, run.base)
      .map((ratio) => ratio.toFixed(2))
      .join(' / '),
  };
}

/** The three targets, from the cells' ids (see serving.ts) and the pairs' turns. */
export function targets(
  cells: readonly CellRun[],
  big: number,
  pairs: ReadonlyMap<string, PairRun>,
): Verdict[] {
  const find = (id: string): Summary | undefined => {
    const cell = cells.find((c) => c.id === id);
    return cell === undefined ? undefined : summary(cell);
  };
  const verdicts: Verdict[] = [];

  const onOff = pairs.get('http-on-b1-c64');
  if (onOff === undefined) verdicts.push(missing('1'));
  else {
    const p = paired(onOff, 1);
    verdicts.push({
      target: '1. HTTP at 64 callers: batching on ≥ 3× batching off (rows/s, in turns)',
      measured: `${p.side.toFixed(0)} / ${p.base.toFixed(0)} rows/s; median of the rounds' ratios **${p.ratio.toFixed(2)}×** (rounds: ${p.rounds})`,
      pass: p.ratio >= 3,
    });
  }

  // Two readings of "overhead": the latency one request adds (1 caller, so every request also
  // waits for the hop to the worker and back), and the throughput lost when the instance is kept
  // busy as the raw loop keeps ONNX Runtime busy (2 callers). The verdict is on throughput, the
  // serving cost; the latency reading is reported beside it.
  const raw = find(`raw-b${big}-c1`);
  const strata = find(`in-process-off-b${big}-c1`);
  const busy = pairs.get(`in-process-off-b${big}-c2`);
  if (raw === undefined || strata === undefined || busy === undefined) verdicts.push(missing('2'));
  else {
    const p = paired(busy, big);
    const lost = 1 - p.ratio;
    verdicts.push({
      target: `2. in-process overhead vs raw ≤ 5% at ${big} rows/request (throughput, instance kept busy by 2 callers, in turns)`,
      measured:
        `throughput ${p.side.toFixed(0)} vs ${p.base.toFixed(0)} rows/s; median of the rounds' ratios **${pct(-lost)}** (rounds: ${p.rounds}); ` +
        `1 caller: p50 ${ms(strata.p50)} vs ${ms(raw.p50)} ms = ${pct(strata.p50 / raw.p50 - 1)}, ` +
        `throughput ${pct(strata.rowsPerSecond / raw.rowsPerSecond - 1)}`,
      pass: lost <= 0.05,
    });
  }

  const raw1 = find('raw-b1-c1');
  const http1 = find('http-off-b1-c1');
  const floor = find('http-live-c1');
  if (raw1 === undefined || http1 === undefined) verdicts.push(missing('3'));
  else {
    const extra = http1.p50 - raw1.p50;
    const parts =
      `; of the request's ${ms(http1.p50)} ms, ${ms(http1.serverMs)} ms (mean) were inside the server` +
      (floor === undefined ? '' : `, and an empty GET /v2/health/live takes ${ms(floor.p50)} ms (p50)`);
    verdicts.push({
      target: '3. HTTP p50 − raw p50 ≤ 1 ms at 1 row/request, 1 caller, batching off',
      measured: `${ms(http1.p50)} − ${ms(raw1.p50)} ms = **${ms(extra)} ms**${parts}`,
      pass: extra <= 1,
    });
  }
  return verdicts;
}

function missing(n: string): Verdict {
  return { target: `${n}. (a cell it needs was not run)`, measured: 'not measured', pass: undefined };
}

const dash = (x: number, digits: number): string => (Number.isNaN(x) ? '—' : x.toFixed(digits));

/** The run's section: what ran where, the table of cells, the targets. */
export function report(
  header: readonly string[],
  cells: readonly CellRun[],
  big: number,
  pairs: ReadonlyMap<string, PairRun>,
): string {
  const lines = [
    ...header,
    '',
    '| path | batching | rows/request | callers | rows/s | requests/s | p50 ms | p99 ms | server ms (mean) | rows/execution | event loop CPU µs/request | CPU cores own / machine | rows/s (requests/s) per round |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const cell of cells) {
    const s = summary(cell);
    const batching = cell.batching === undefined ? '—' : cell.batching ? 'on' : 'off';
    const rounds = cell.passes.map((p) => (cell.rows > 0 ? p.rowsPerSecond : p.requestsPerSecond).toFixed(0));
    lines.push(
      `| ${cell.what} | ${batching} | ${cell.rows || '—'} | ${cell.concurrency} | ` +
        `${cell.rows > 0 ? s.rowsPerSecond.toFixed(0) : '—'} | ${s.requestsPerSecond.toFixed(0)} | ${ms(s.p50)} | ${ms(s.p99)} | ` +
        `${dash(s.serverMs, 3)} | ${dash(s.rowsPerExecution, 1)} | ${s.eventLoopUs.toFixed(0)} | ${s.ownCores.toFixed(2)} / ${s.machineCores.toFixed(2)} | ` +
        `${rounds.join(' / ')} |`,
    );
  }
  lines.push('', '| target | measured | verdict |', '| --- | --- | --- |');
  for (const v of targets(cells, big, pairs)) {
    const verdict = v.pass === undefined ? 'n/a' : v.pass ? '**PASS**' : '**FAIL**';
    lines.push(`| ${v.target} | ${v.measured} | ${verdict} |`);
  }
  return lines.join('\n') + '\n';
}

/**
 * Replaces the section `name` of bench/results/serving.md (between its markers), keeping what is
 * around it: the other sections, and the summary and analysis written by hand.
 */
export function writeRun(name: string, section: string): Promise<string> {
  const header =
    '# Model serving benchmark: Strata vs raw onnxruntime-node\n\nWritten by `npm run bench:serving`; each run section is replaced by the next full run like it.\n';
  return writeResultSection('serving.md', header, name, section);
}
