import { median, mergePasses, percentile, type LoadResult } from './closed-loop.js';

/**
 * Sides compared on a shared host, taking turns: within each round the sides run one after the
 * other in short blocks, the order rotating by one each block, so that the host's drift, which
 * moves a side's throughput by ±10-30% from second to second, falls on every side alike. A side's
 * throughput in a round is its requests over its own summed time; a figure is the median of the
 * rounds.
 */

/** `concurrency` closed-loop callers for `seconds`. */
export type Load = (concurrency: number, seconds: number) => Promise<LoadResult>;

export interface TurnSide {
  readonly load: Load;
  /** CPU seconds the server this side loads has used so far (cpuSeconds of its process), when read. */
  readonly serverCpu?: () => number;
}

/** One side's share of a round. */
export interface Turns {
  /** Its blocks as one pass. */
  readonly result: LoadResult;
  /** Its server's CPU time over its blocks per request answered, µs; NaN without `serverCpu`. */
  readonly serverCpuPerRequest: number;
}

/** The order of `count` sides in block `turn`: 0, 1, … rotated by `turn`, so each goes first as often. */
export function turnOrder(count: number, turn: number): number[] {
  return Array.from({ length: count }, (_, i) => (turn + i) % count);
}

/**
 * One round at one concurrency: `blocks` blocks of `seconds` each per side, the block orders
 * continuing from `firstTurn` (pass the blocks run before, so that rounds keep rotating).
 */
export async function takeTurns(
  sides: readonly TurnSide[],
  concurrency: number,
  blocks: number,
  seconds: number,
  firstTurn: number,
): Promise<Turns[]> {
  const passes = sides.map((): LoadResult[] => []);
  const serverSeconds = sides.map(() => 0);
  for (let b = 0; b < blocks; b++) {
    for (const i of turnOrder(sides.length, firstTurn + b)) {
      const side = sides[i];
      if (side === undefined) continue;
      const cpu = side.serverCpu ?? (() => NaN);
      const before = cpu();
      passes[i]?.push(await side.load(concurrency, seconds));
      serverSeconds[i] = (serverSeconds[i] ?? 0) + cpu() - before;
    }
  }
  return passes.map((side, i) => {
    const result = mergePasses(side);
    return { result, serverCpuPerRequest: (1e6 * (serverSeconds[i] ?? 0)) / result.requests };
  });
}

export interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** Requests/s of each round, for the results table. */
  readonly perRound: string;
}

/** Medians over the rounds of one side at one concurrency. */
export function summarize(rounds: readonly LoadResult[]): Summary {
  return {
    rps: median(rounds.map((r) => r.requests / r.seconds)),
    p50: median(rounds.map((r) => percentile(r.latencies, 0.5))),
    p99: median(rounds.map((r) => percentile(r.latencies, 0.99))),
    perRound: rounds.map((r) => (r.requests / r.seconds).toFixed(0)).join(' / '),
  };
}

/**
 * `side`'s throughput over `base`'s, as the median of the rounds' ratios: the sides took turns
 * within each round, so a round's ratio compares them under the same drift, where the ratio of
 * the two medians may pair a fast round of one with a slow round of the other.
 */
export function pairedRatio(side: readonly LoadResult[], base: readonly LoadResult[]): number {
  return median(roundRatios(side, base));
}

/** Each round's throughput of `side` over `base` (rounds `base` lacks are left out). */
export function roundRatios(side: readonly LoadResult[], base: readonly LoadResult[]): number[] {
  const rps = (r: LoadResult): number => r.requests / r.seconds;
  return side.flatMap((r, i) => (base[i] === undefined ? [] : [rps(r) / rps(base[i])]));
}
