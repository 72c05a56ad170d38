/**
 * A mean read from a Prometheus histogram around a pass: (sum after − sum before) / (count after −
 * count before), over the series whose labels contain `series`. The serving metrics give the rows
 * per execution (`strata_model_batch_size`) and the HTTP metrics the time a request spent in the
 * server (`strata_http_request_duration_seconds`), without touching the code measured.
 */
export interface Probe {
  /** The metrics in the text exposition format. */
  readonly metrics: () => Promise<string>;
  readonly histogram: string;
  /** Label text that selects the series, e.g. `model="mlp"`. */
  readonly series: string;
  /** Multiplies the mean (1000 for seconds as ms). */
  readonly scale: number;
}

export interface Reading {
  readonly sum: number;
  readonly count: number;
}

export async function read(probe: Probe): Promise<Reading> {
  let sum = 0;
  let count = 0;
  for (const line of (await probe.metrics()).split('\n')) {
    if (!line.includes(probe.series)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith(`${probe.histogram}_sum{`)) sum += value;
    else if (line.startsWith(`${probe.histogram}_count{`)) count += value;
  }
  return { sum, count };
}

/** The mean between two readings; NaN when nothing was observed in between. */
export function meanBetween(probe: Probe, before: Reading, after: Reading): number {
  const count = after.count - before.count;
  return count > 0 ? ((after.sum - before.sum) / count) * probe.scale : NaN;
}
