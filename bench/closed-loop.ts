import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { cpuUsage } from 'node:process';
import { setTimeout as sleep } from 'node:timers/promises';

/** One request; `i` counts the requests of a pass across all callers, for picking inputs. */
export type Call = (i: number) => Promise<unknown>;

export interface LoadResult {
  readonly requests: number;
  readonly seconds: number;
  /** Per-request latency, milliseconds, sorted ascending. */
  readonly latencies: Float64Array;
  /** CPU time of this process (every thread: the event loop, ORT workers) over the pass, in cores. */
  readonly ownCores: number;
  /** Busy CPU of the whole machine over the pass (/proc/stat), in cores; NaN where unavailable. */
  readonly machineCores: number;
}

/**
 * `concurrency` closed-loop callers: each sends a request, waits for its answer, and sends the
 * next (after `pauseMs` of idle time, not counted in latency, when given), until `seconds` have
 * passed; the requests still in flight then finish and count. The pass's time runs until the
 * last of them, so throughput is requests / that time.
 */
export async function closedLoop(
  call: Call,
  concurrency: number,
  seconds: number,
  pauseMs = 0,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let next = 0;
  const machineBefore = machineTicks();
  const cpuBefore = cpuUsage();
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        await call(next++);
        latencies.push(performance.now() - sent);
        if (pauseMs > 0) await sleep(pauseMs);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuUsage(cpuBefore);
  const machineAfter = machineTicks();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: sorted.length,
    seconds: elapsed,
    latencies: sorted,
    ownCores: (cpu.user + cpu.system) / 1e6 / elapsed,
    machineCores:
      machineBefore === undefined || machineAfter === undefined
        ? NaN
        : ((machineAfter.busy - machineBefore.busy) / (machineAfter.total - machineBefore.total || 1)) *
          cpus().length,
  };
}

/**
 * Several passes of one load as one: requests over the summed time, latencies pooled, CPU
 * weighted by each pass's time. For a side measured in blocks taken in turns with others.
 */
export function mergePasses(passes: readonly LoadResult[]): LoadResult {
  const latencies = Float64Array.from(passes.flatMap((pass) => [...pass.latencies])).sort();
  const seconds = passes.reduce((sum, pass) => sum + pass.seconds, 0);
  const weighted = (key: 'ownCores' | 'machineCores') =>
    passes.reduce((sum, pass) => sum + pass[key] * pass.seconds, 0) / (seconds || 1);
  return {
    requests: latencies.length,
    seconds,
    latencies,
    ownCores: weighted('ownCores'),
    machineCores: weighted('machineCores'),
  };
}

/** Nearest-rank percentile (`q` in 0..1) of ascending values; NaN when there are none. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] ?? NaN;
}

/** The median of a few values (the lower middle one for an even count, so it is a measured value). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
}

// The first line of /proc/stat: jiffies per state, summed over every CPU. Busy is all but idle
// and iowait. Linux only; elsewhere the machine's load is simply not reported.
function machineTicks(): { busy: number; total: number } | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  const ticks = (line ?? '').trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}
