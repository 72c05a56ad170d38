import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { serverNodeFlags } from '../src/platform/index.js';
import { Child, cliPath } from '../test/support/cli.js';
import { tempDataDir } from '../test/support/platform.js';

/**
 * A Strata server for a benchmark: `strata start` as a process of its own, so that the load
 * generator never runs on the server's event loop and the server's CPU can be read from /proc.
 */
export interface StrataProcess {
  readonly child: Child;
  /** The HTTP base URL, `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** The gRPC address, `127.0.0.1:<port>`. */
  readonly grpcAddress: string;
  readonly dataDir: string;
  readonly pid: number | undefined;
}

export interface StrataOptions {
  /** Names the data directory and the error when the server does not start. */
  readonly name: string;
  readonly target: string;
  /** `--set` flags, on top of free ports and warnings-only logging. */
  readonly settings: Readonly<Record<string, string>>;
  /** Node's flags for the server process (`--cpu-prof`, for one). */
  readonly nodeArgs?: readonly string[];
}

/** Starts `strata start --target <target>` on free ports and waits until /readyz answers 200. */
export async function startStrata(options: StrataOptions): Promise<StrataProcess> {
  const dataDir = tempDataDir(`bench-${options.name}`);
  const httpPort = await freePort();
  const grpcPort = await freePort();
  // Warnings only: an access-log line per request would be measured too, and the child's output
  // is kept in memory.
  const flags = {
    'server.httpPort': String(httpPort),
    'server.grpcPort': String(grpcPort),
    'logging.level': 'warn',
    ...options.settings,
  };
  const child = new Child(
    cliPath,
    [
      'start',
      '--target',
      options.target,
      '--data-dir',
      dataDir,
      ...Object.entries(flags).flatMap(([key, value]) => ['--set', `${key}=${value}`]),
    ],
    {},
    // As `npm start` and the strata command run it (src/platform/server-flags.ts).
    [...serverNodeFlags, ...(options.nodeArgs ?? [])],
  );
  const url = `http://127.0.0.1:${String(httpPort)}`;
  const server = {
    child,
    url,
    grpcAddress: `127.0.0.1:${String(grpcPort)}`,
    dataDir,
    pid: child.process.pid,
  };
  await waitFor(server, '/readyz');
  return server;
}

/** Polls `path` on the server until it answers 200 (30 s at most). */
export async function waitFor(server: StrataProcess, path: string): Promise<void> {
  for (let tries = 0; ; tries++) {
    const ready = await fetch(server.url + path).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) return;
    if (server.child.process.exitCode !== null || tries > 300)
      throw new Error(`strata did not answer ${path}: ${server.child.stderr}${server.child.stdout}`);
    await sleep(100);
  }
}

/** Stops the server as an operator would (SIGTERM, a graceful drain) and waits for it to exit. */
export async function stopStrata(server: StrataProcess): Promise<void> {
  server.child.process.kill('SIGTERM');
  await server.child.exited();
}

/**
 * CPU seconds (user + system) a process has used, or one of its threads (`thread`: its id; a
 * process's main thread has the process's), from /proc (Linux; 0 elsewhere).
 */
export function cpuSeconds(pid: number | undefined, thread?: number): number {
  try {
    const path =
      thread === undefined ? `/proc/${String(pid)}/stat` : `/proc/${String(pid)}/task/${String(thread)}/stat`;
    const fields = readFileSync(path, 'utf8').split(') ')[1]?.split(' ') ?? [];
    // After the command name: state is field 3, utime 14 and stime 15, in clock ticks (100 per s).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return 0;
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}
