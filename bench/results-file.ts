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

/**
 * The machine a run was taken on, for its results: cores this process may use, the CPU (on Linux
 * with its family and model, its clock and its widest vector instructions), Node. The same
 * "AMD EPYC" name covers CPU generations whose speeds differ several-fold (an ONNX MLP ran 5×
 * slower on a family-23 EPYC without AVX-512 than on the one of earlier runs), so a result is
 * read against its generation.
 */
export function machine(): string {
  return `${String(availableParallelism())} cores, ${cpuDescription()}; Node ${version}`;
}

function cpuDescription(): string {
  let info: string;
  try {
    info = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    return cpus()[0]?.model ?? 'unknown CPU';
  }
  const field = (name: string): string | undefined =>
    new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(info)?.[1]?.trim();
  const flags = new Set(field('flags')?.split(' '));
  const vectors = flags.has('avx512f') ? 'AVX-512' : flags.has('avx2') ? 'AVX2, no AVX-512' : 'no AVX2';
  const mhz = Number(field('cpu MHz'));
  const clock = Number.isFinite(mhz) && mhz > 0 ? `, ${(mhz / 1000).toFixed(1)} GHz` : '';
  const family = field('cpu family');
  const generation =
    family === undefined ? '' : ` (family ${family} model ${field('model') ?? ''}${clock}, ${vectors})`;
  return `${field('model name') ?? cpus()[0]?.model ?? 'unknown CPU'}${generation}`;
}

/** How this run was started, as `npm run <script> -- <its arguments>`. */
export function commandLine(script: string): string {
  const args = argv.slice(2);
  return `npm run ${script}${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
}
