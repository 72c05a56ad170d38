// npm run bench:gateway -- [--seconds 3] [--rounds 7] [--block 0.25] [--concurrency 1,32] [--client node|fetch] [--control]
// What security costs a request: the same cheap route (GET /collections on an empty vector
// store) on two Strata processes, one with authentication on (an API key checked and the
// key's and tenant's token buckets taken on every request) and one with it off, loaded alternately
// by closed-loop callers in a worker thread. Each round starts both servers afresh: a process
// keeps its speed for its lifetime (where its threads and memory landed), and two processes of
// the same code differ by up to ±7%, so one pair of processes cannot decide a verdict. Within a
// round the sides take turns in blocks of --block seconds (who goes first alternating), so that
// the shared host's drift, which moves a side's throughput by ±10-30% from second to second, falls
// on both alike; a side's throughput in a round is its requests over its own summed time.
// Throughput and p50/p99 per side; the targets (≥ 90% of the unauthenticated throughput,
// ≤ 0.3 ms added p50) read as the median of the rounds' ratios and differences. A full run
// (default options) writes its section of bench/results/gateway.md; with --control, its own.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { argv, stderr } from 'node:process';
import { parseArgs } from 'node:util';
import { median, percentile, type LoadResult } from './closed-loop.js';
import { HttpLoad, type HttpClient } from './http-load.js';
import { commandLine, machine, writeResultSection } from './results-file.js';
import { cpuSeconds, startStrata, stopStrata, type StrataProcess } from './strata-process.js';
import { pairedRatio, roundRatios, summarize, takeTurns } from './turns.js';

const { values } = parseArgs({
  args: argv.slice(2),
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '7' },
    block: { type: 'string', default: '0.25' },
    concurrency: { type: 'string', default: '1,32' },
    client: { type: 'string', default: 'node' },
    control: { type: 'boolean', default: false },
  },
});
// --control: both sides with security off, an A/A check of the method (reads ~100% when fair).
const control = values.control;
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));
const block = Number(values.block);
const blocks = Math.max(1, Math.round(seconds / block));
const concurrencies = values.concurrency.split(',').map(Number);
if (values.client !== 'fetch' && values.client !== 'node')
  throw new Error(`--client ${values.client}: use fetch or node`);
const client: HttpClient = values.client;
const full =
  values.seconds === '3' &&
  rounds >= 7 &&
  values.block === '0.25' &&
  values.concurrency === '1,32' &&
  client === 'node';
const log = (message: string): void => {
  stderr.write(`[bench:gateway] ${message}\n`);
};

const ROUTE = '/collections';
// Per side and callers before each round's turns: a fresh process runs its first thousands of
// requests in code V8 has not optimised yet, and the secured side has more of it.
const WARMUP_SECONDS = 2;
// Buckets far larger than the run needs: the benchmark measures the check, not refusals.
const unlimited = {
  'security.rateLimit.perKey.burst': '1000000000',
  'security.rateLimit.perKey.ratePerSecond': '1000000000',
  'security.rateLimit.perTenant.burst': '1000000000',
  'security.rateLimit.perTenant.ratePerSecond': '1000000000',
};

// One `strata start` process per side, so that neither server shares a V8 isolate with the other:
// in one process the two Fastify instances share compiled code, and the secured one's extra hook
// and request shape slowed both unevenly (a 2-3× larger gap in CPU per request than separate
// processes show).
const startServer = (name: string, settings: Readonly<Record<string, string>>): Promise<StrataProcess> =>
  startStrata({ name: `gateway-${name}`, target: 'vector', settings });

const sideNames = ['security off', control ? 'security off (control)' : 'API key + rate limit'] as const;

interface Side {
  readonly name: string;
  readonly server: StrataProcess;
  readonly headers: Readonly<Record<string, string>>;
}

/** Both sides' servers, fresh: the open one first in even rounds, the secured one in odd. */
async function startSides(round: number): Promise<Side[]> {
  const start = {
    off: () => startServer('off', { 'security.auth.enabled': 'false' }),
    on: () =>
      startServer(
        'on',
        control ? { 'security.auth.enabled': 'false' } : { 'security.auth.enabled': 'true', ...unlimited },
      ),
  };
  let open: StrataProcess;
  let secured: StrataProcess;
  if (round % 2 === 0) {
    open = await start.off();
    secured = await start.on();
  } else {
    secured = await start.on();
    open = await start.off();
  }
  const credentials = control
    ? {}
    : { authorization: `Bearer ${(await readFile(join(secured.dataDir, 'admin.key'), 'utf8')).trim()}` };
  const sides: Side[] = [
    { name: sideNames[0], server: open, headers: {} },
    { name: sideNames[1], server: secured, headers: credentials },
  ];
  for (const side of sides) {
    const answer = await fetch(side.server.url + ROUTE, { headers: side.headers });
    if (answer.status !== 200) throw new Error(`${side.name}: GET ${ROUTE} answered ${answer.status}`);
  }
  const unauthenticated = await fetch(secured.url + ROUTE);
  if (!control && unauthenticated.status !== 401)
    throw new Error('the secured platform let a request without a key through');
  return sides;
}

log(
  `client ${client}, ${rounds} rounds, each on fresh server processes, × ${seconds} s per side and callers`,
);
const results = new Map<string, LoadResult[]>();
/** The server process's CPU time per request (user + system), µs, per round. */
const cpuPerRequests = new Map<string, number[]>();
const cell = (side: number, concurrency: number): string => `${side}/${concurrency}`;
for (let r = 0; r < rounds; r++) {
  const sides = await startSides(r);
  const turnSides = sides.map((side) => {
    const http = HttpLoad.start(side.server.url, client);
    return {
      http,
      load: (concurrency: number, seconds: number) =>
        http.run({ path: ROUTE, bodies: [], headers: side.headers, concurrency, seconds }),
      serverCpu: () => cpuSeconds(side.server.pid),
    };
  });
  for (const concurrency of concurrencies) {
    for (const side of turnSides) await side.load(concurrency, WARMUP_SECONDS);
    const turns = await takeTurns(turnSides, concurrency, blocks, block, r * blocks);
    for (const [i, { result, serverCpuPerRequest }] of turns.entries()) {
      const id = cell(i, concurrency);
      results.set(id, [...(results.get(id) ?? []), result]);
      cpuPerRequests.set(id, [...(cpuPerRequests.get(id) ?? []), serverCpuPerRequest]);
      log(
        `round ${r + 1}/${rounds} ${sides[i]?.name} × ${concurrency}: ${(result.requests / result.seconds).toFixed(0)} requests/s, p50 ${percentile(result.latencies, 0.5).toFixed(3)} ms, server CPU ${serverCpuPerRequest.toFixed(1)} µs per request`,
      );
    }
  }
  for (const side of turnSides) await side.http.close();
  for (const side of sides) await stopStrata(side.server);
}

const lines = [
  `## Run of ${new Date().toISOString()}`,
  '',
  `- command: \`${commandLine('bench:gateway')}\``,
  `- machine: ${machine()}`,
  `- route: \`GET ${ROUTE}\` (an empty vector store) on two \`strata start --target vector\` processes; callers in a worker thread of the benchmark process (${client === 'node' ? 'node:http' : "Node's fetch"}, keep-alive); ${rounds} rounds, each on two fresh server processes, × ${seconds} s per side and callers, in blocks of ${block} s with the sides taking turns`,
  "- figures: medians of the rounds; a verdict reads the median of the rounds' ratios (throughput) and of their differences (p50), each round comparing two processes under the same drift",
  control
    ? '- control run (`--control`): both sides with security off, an A/A check of the method; a fair method reads about 100%'
    : "- secured side: `Authorization: Bearer <API key>` checked on every request (a key verified before is remembered), then the key's and the tenant's token buckets (in memory) taken and the tenant's daily request quota counted; the guard checks the admin role on `collection:*` within the key's tenant",
  "- server CPU: user + system time of the side's server process (/proc) over its blocks, per request answered: steadier than throughput on a shared host",
  '',
  '| callers | side | requests/s | p50 ms | p99 ms | server CPU µs/request | requests/s per round |',
  '| ---: | --- | ---: | ---: | ---: | ---: | --- |',
];
const verdicts: string[] = [];
for (const concurrency of concurrencies) {
  const [offRounds = [], onRounds = []] = [0, 1].map((i) => results.get(cell(i, concurrency)) ?? []);
  const [off, on] = [offRounds, onRounds].map(summarize);
  if (off === undefined || on === undefined) continue;
  for (const [i, s] of [off, on].entries()) {
    const serverCpu = median(cpuPerRequests.get(cell(i, concurrency)) ?? []);
    lines.push(
      `| ${concurrency} | ${sideNames[i]} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} | ${serverCpu.toFixed(1)} | ${s.perRound} |`,
    );
  }
  const ratio = pairedRatio(onRounds, offRounds);
  const p50 = (r: LoadResult | undefined): number => (r === undefined ? NaN : percentile(r.latencies, 0.5));
  const addedPerRound = onRounds.map((r, i) => p50(r) - p50(offRounds[i]));
  const added = median(addedPerRound);
  const perRound = roundRatios(onRounds, offRounds).map((r) => `${(100 * r).toFixed(0)}%`);
  verdicts.push(
    `| ${concurrency} | **${(100 * ratio).toFixed(1)}%** ${ratio >= 0.9 ? '(PASS)' : '(FAIL)'} | ${perRound.join(' / ')} | **${added.toFixed(3)} ms** ${added <= 0.3 ? '(PASS)' : '(FAIL)'} | ${addedPerRound.map((a) => a.toFixed(3)).join(' / ')} |`,
  );
}
lines.push(
  '',
  '| callers | throughput, secured / off (target ≥ 90%) | per round | added p50 (target ≤ 0.3 ms) | per round, ms |',
  '| ---: | --- | --- | --- | --- |',
  ...verdicts,
  '',
);
const section = lines.join('\n');
stderr.write(`\n${section}\n`);
if (full) {
  const header =
    '# Gateway benchmark: what authentication and rate limits cost a request\n\nWritten by `npm run bench:gateway`; a full run replaces its section.\n';
  const marker = control ? 'run:gateway-control' : 'run:gateway';
  log(`wrote ${await writeResultSection('gateway.md', header, marker, section)}`);
} else log('not a full run with the default options: the results file is left as it is');
