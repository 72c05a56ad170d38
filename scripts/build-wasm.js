// Builds src/vector/wasm/*.as (AssemblyScript) into dist/wasm/vector.wasm and
// dist/wasm/vector-shared.wasm; `npm run build` runs it
// before tsc. The sources use the .as extension so that tsc and ESLint, which would read them as
// TypeScript, leave them alone; the compiler reads them under .ts names through readFile below.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'src', 'vector', 'wasm');
const outDir = join(root, 'dist', 'wasm');
const common = ['-O3', '--converge', '--noAssert', '--runtime', 'stub', '--enable', 'simd'];

// vector.wasm owns its memory; vector-shared.wasm imports one backed by a SharedArrayBuffer, so
// that worker threads can instantiate it over an index's memory for a parallel bulk build
// (src/vector/build/, docs/decisions/0016). A shared memory needs a maximum: 65536 pages, the 4 GiB
// a 32-bit memory can address, as the unshared one may grow to.
const builds = [
  { file: 'vector.wasm', flags: common },
  {
    file: 'vector-shared.wasm',
    flags: [
      ...common,
      '--enable',
      'threads',
      '--importMemory',
      '--sharedMemory',
      '--initialMemory',
      '1',
      '--maximumMemory',
      '65536',
    ],
  },
];

await mkdir(outDir, { recursive: true });
for (const { file, flags } of builds) await build(file, flags);

async function build(file, flags) {
  let binary = null;
  const result = await asc.main(['main.ts', '--outFile', file, ...flags], {
    readFile: async (name, baseDir) => {
      if (!name.endsWith('.ts') || baseDir !== '.') return null;
      try {
        return await readFile(join(sourceDir, name.replace(/\.ts$/, '.as')), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name, contents) => {
      if (name === file) binary = contents;
    },
    listFiles: () => [],
  });
  if (result.error !== null || binary === null) {
    process.stderr.write(result.stderr.toString());
    process.stderr.write(`build-wasm: ${file}: ${result.error?.message ?? 'no binary emitted'}\n`);
    process.exit(1);
  }
  await writeFile(join(outDir, file), binary);
}
