import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { packageRoot } from '../../src/kernel/index.js';

/** The built CLI entry point, as `npm start` and the `strata` bin run it. */
export const cliPath = join(packageRoot(), 'dist', 'src', 'main.js');

export interface Finished {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A child Node process whose output is collected and whose JSON log lines can be awaited. */
export class Child {
  stdout = '';
  stderr = '';
  readonly process: ChildProcess;
  readonly #exited: Promise<Finished>;

  constructor(
    script: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
    /** Node's own flags, before the script (`--cpu-prof`, which NODE_OPTIONS may not carry). */
    nodeArgs: readonly string[] = [],
  ) {
    this.process = spawn(process.execPath, ['--enable-source-maps', ...nodeArgs, script, ...args], {
      env: { PATH: process.env['PATH'], ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.#exited = once(this.process, 'exit').then(([code, signal]) => ({
      code: code as number | null,
      signal: signal as NodeJS.Signals | null,
      stdout: this.stdout,
      stderr: this.stderr,
    }));
  }

  exited(): Promise<Finished> {
    return this.#exited;
  }

  /** The JSON log lines written so far. */
  logLines(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  }

  /** Resolves with the first log line whose `msg` matches; rejects if the process exits first. */
  async waitForLog(pattern: RegExp, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = this.logLines().find((entry) => pattern.test(String(entry['msg'])));
      if (line !== undefined) return line;
      if (this.process.exitCode !== null || this.process.signalCode !== null) {
        throw new Error(
          `process exited before logging ${pattern}; stderr: ${this.stderr}; stdout: ${this.stdout}`,
        );
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stdout: ${this.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The HTTP base URL Fastify logged when it started listening. */
  async httpUrl(): Promise<string> {
    const line = await this.waitForLog(/^Server listening at /);
    return String(line['msg']).replace('Server listening at ', '');
  }
}

/** Runs the CLI to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Child(cliPath, args, env).exited();
}
