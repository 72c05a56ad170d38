// Builds src/vector/wasm/*.as (AssemblyScript) into dist/wasm/vector.wasm; `npm run build` runs it
// before tsc. The sources use the .as extension so that tsc and ESLint, which would read them as
// TypeScript, leave them alone; the compiler reads them under .ts names through readFile below.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import asc from 'assemblyscript/asc';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sourceDir = join(root, 'src', 'vector', 'wasm');
const outFile = join(root, 'dist', 'wasm', 'vector.wasm');

let binary = null;
const result = await asc.main(
  [
    'main.ts',
    '--outFile',
    'vector.wasm',
    '-O3',
    '--converge',
    '--noAssert',
    '--runtime',
    'stub',
    '--enable',
    'simd',
  ],
  {
    readFile: async (name, baseDir) => {
      if (!name.endsWith('.ts') || baseDir !== '.') return null;
      try {
        return await readFile(join(sourceDir, name.replace(/\.ts$/, '.as')), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name, contents) => {
      if (name === 'vector.wasm') binary = contents;
    },
    listFiles: () => [],
  },
);
if (result.error !== null || binary === null) {
  process.stderr.write(result.stderr.toString());
  process.stderr.write(`build-wasm: ${result.error?.message ?? 'no binary emitted'}\n`);
  process.exit(1);
}
await mkdir(dirname(outFile), { recursive: true });
await writeFile(outFile, binary);
