import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { argv, version } from 'node:process';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';

/**
 * Replaces the section between `<!-- marker -->` and `<!-- /marker -->` of
 * bench/results/<file> (appending it when absent), keeping everything around it: other sections
 * and the summaries written by hand. A missing file starts with `header`. Returns the path.
 */
export async function writeResultSection(
  fileName: string,
  header: string,
  marker: string,
  section: string,
): Promise<string> {
  // From dist/bench/ back to the repository's bench/results/.
  const file = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', fileName);
  mkdirSync(dirname(file), { recursive: true });
  let text = existsSync(file) ? readFileSync(file, 'utf8') : header;
  const open = `<!-- ${marker} -->`;
  const close = `<!-- /${marker} -->`;
  const block = `${open}\n${section}${close}`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  text =
    start >= 0 && end > start
      ? text.slice(0, start) + block + text.slice(end + close.length)
      : `${text}\n${block}\n`;
  // Formatted as `npm run lint` checks it, so a fresh result never fails prettier --check.
  writeFileSync(file, await format(text, { ...(await resolveConfig(file)), parser: 'markdown' }));
  return file;
}

/** The machine a run was taken on, for its results: cores this process may use, CPU model, Node. */
export function machine(): string {
  let model: string | undefined;
  try {
    model = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1];
  } catch {
    model = cpus()[0]?.model;
  }
  return `${String(availableParallelism())} cores, ${model ?? 'unknown CPU'}; Node ${version}`;
}

/** How this run was started, as `npm run <script> -- <its arguments>`. */
export function commandLine(script: string): string {
  const args = argv.slice(2);
  return `npm run ${script}${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
}
