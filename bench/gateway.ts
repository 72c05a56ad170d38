// npm run bench:gateway -- [--seconds 3] [--rounds 5] [--concurrency 1,32] [--client node|fetch]
// What security costs a request: the same cheap route (GET /collections on an empty vector
// store) on two platforms in one process, one with authentication on (an API key checked and the
// key's and tenant's token buckets taken on every request) and one with it off, loaded alternately
// by closed-loop callers in a worker thread. Throughput and p50/p99 per side; the issue's targets
// (≥ 90% of the unauthenticated throughput, ≤ 0.3 ms added p50) checked. A full run (default
// options) writes bench/results/gateway.md.
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { argv, stderr, version } from 'node:process';
import { parseArgs } from 'node:util';
import { startPlatform, tempDataDir } from '../test/support/platform.js';
import { median, percentile, type LoadResult } from './closed-loop.js';
import { HttpLoad, type HttpClient } from './http-load.js';
import { writeResultSection } from './results-file.js';

const { values } = parseArgs({
  args: argv.slice(2),
  options: {
    seconds: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '1,32' },
    client: { type: 'string', default: 'node' },
  },
});
const seconds = Number(values.seconds);
const rounds = Math.max(1, Number(values.rounds));
const concurrencies = values.concurrency.split(',').map(Number);
if (values.client !== 'fetch' && values.client !== 'node')
  throw new Error(`--client ${values.client}: use fetch or node`);
const client: HttpClient = values.client;
const full = values.seconds === '3' && rounds >= 5 && values.concurrency === '1,32' && client === 'node';
const log = (message: string): void => {
  stderr.write(`[bench:gateway] ${message}\n`);
};

const ROUTE = '/collections';
// Buckets far larger than the run needs: the benchmark measures the check, not refusals.
const unlimited = {
  'security.rateLimit.perKey.burst': '1000000000',
  'security.rateLimit.perKey.ratePerSecond': '1000000000',
  'security.rateLimit.perTenant.burst': '1000000000',
  'security.rateLimit.perTenant.ratePerSecond': '1000000000',
};

const secureDir = tempDataDir('bench-gateway-on');
const secured = await startPlatform(secureDir, ['vector'], { 'security.auth.enabled': 'true', ...unlimited });
const key = (await readFile(join(secureDir, 'admin.key'), 'utf8')).trim();
const open = await startPlatform(tempDataDir('bench-gateway-off'), ['vector']);
const sides = [
  { name: 'security off', url: open.url, headers: {} },
  { name: 'API key + rate limit', url: secured.url, headers: { authorization: `Bearer ${key}` } },
] as const;
for (const side of sides) {
  const answer = await fetch(side.url + ROUTE, { headers: side.headers });
  if (answer.status !== 200) throw new Error(`${side.name}: GET ${ROUTE} answered ${answer.status}`);
}
const unauthenticated = await fetch(secured.url + ROUTE);
if (unauthenticated.status !== 401)
  throw new Error('the secured platform let a request without a key through');
log(
  `two platforms ready (${sides.map((s) => s.url).join(', ')}); client ${client}, ${rounds} rounds × ${seconds} s per cell`,
);

const loads = sides.map((side) => HttpLoad.start(side.url, client));
const results = new Map<string, LoadResult[]>();
const cell = (side: number, concurrency: number): string => `${side}/${concurrency}`;
for (const [i, load] of loads.entries()) {
  for (const concurrency of concurrencies) {
    await load.run({ path: ROUTE, bodies: [], headers: sides[i]?.headers ?? {}, concurrency, seconds: 0.5 });
  }
}
for (let r = 0; r < rounds; r++) {
  for (const concurrency of concurrencies) {
    // Alternating which side goes first, so drift on the shared host hits both alike.
    const order = r % 2 === 0 ? [0, 1] : [1, 0];
    for (const i of order) {
      const load = loads[i];
      if (load === undefined) continue;
      const result = await load.run({
        path: ROUTE,
        bodies: [],
        headers: sides[i]?.headers ?? {},
        concurrency,
        seconds,
      });
      const id = cell(i, concurrency);
      results.set(id, [...(results.get(id) ?? []), result]);
      log(
        `round ${r + 1}/${rounds} ${sides[i]?.name} × ${concurrency}: ${(result.requests / result.seconds).toFixed(0)} requests/s, p50 ${percentile(result.latencies, 0.5).toFixed(3)} ms`,
      );
    }
  }
}
for (const load of loads) await load.close();
await secured.platform.shutdown();
await open.platform.shutdown();

interface Summary {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly perRound: string;
}
const summary = (runs: readonly LoadResult[]): Summary => ({
  rps: median(runs.map((r) => r.requests / r.seconds)),
  p50: median(runs.map((r) => percentile(r.latencies, 0.5))),
  p99: median(runs.map((r) => percentile(r.latencies, 0.99))),
  perRound: runs.map((r) => (r.requests / r.seconds).toFixed(0)).join(' / '),
});

const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpus()[0]?.model;
const lines = [
  `## Run of ${new Date().toISOString()}`,
  '',
  `- command: \`npm run bench:gateway${argv.length > 2 ? ` -- ${argv.slice(2).join(' ')}` : ''}\``,
  `- machine: ${execSync('nproc').toString().trim()} cores, ${cpu ?? 'unknown CPU'}; Node ${version}`,
  `- route: \`GET ${ROUTE}\` (an empty vector store) on two platforms (target vector) in one process; callers in a worker thread (${client === 'node' ? 'node:http' : "Node's fetch"}, keep-alive); ${rounds} rounds × ${seconds} s per cell, sides alternating; medians of the rounds`,
  "- secured side: `Authorization: Bearer <API key>` verified on every request (SHA-256, constant-time compare), then the key's and the tenant's token buckets (in memory) taken; the guard checks the admin role on `collection:*`",
  '',
  '| callers | side | requests/s | p50 ms | p99 ms | requests/s per round |',
  '| ---: | --- | ---: | ---: | ---: | --- |',
];
const verdicts: string[] = [];
for (const concurrency of concurrencies) {
  const [off, on] = [0, 1].map((i) => summary(results.get(cell(i, concurrency)) ?? []));
  if (off === undefined || on === undefined) continue;
  for (const [i, s] of [off, on].entries()) {
    lines.push(
      `| ${concurrency} | ${sides[i]?.name} | ${s.rps.toFixed(0)} | ${s.p50.toFixed(3)} | ${s.p99.toFixed(3)} | ${s.perRound} |`,
    );
  }
  const ratio = on.rps / off.rps;
  const added = on.p50 - off.p50;
  verdicts.push(
    `| ${concurrency} | ${on.rps.toFixed(0)} / ${off.rps.toFixed(0)} = **${(100 * ratio).toFixed(1)}%** ${ratio >= 0.9 ? '(PASS)' : '(FAIL)'} | ${on.p50.toFixed(3)} − ${off.p50.toFixed(3)} = **${added.toFixed(3)} ms** ${added <= 0.3 ? '(PASS)' : '(FAIL)'} |`,
  );
}
lines.push(
  '',
  '| callers | throughput, secured / off (target ≥ 90%) | added p50 (target ≤ 0.3 ms) |',
  '| ---: | --- | --- |',
  ...verdicts,
  '',
);
const section = lines.join('\n');
stderr.write(`\n${section}\n`);
if (full) {
  const header =
    '# Gateway benchmark: what authentication and rate limits cost a request\n\nWritten by `npm run bench:gateway`; a full run replaces its section.\n';
  log(`wrote ${await writeResultSection('gateway.md', header, 'run:gateway', section)}`);
} else log('not a full run with the default options: the results file is left as it is');
