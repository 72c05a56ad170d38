/** `npm run docs`: rewrites every generated document from the code. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/kernel/index.js';
import { generatedDocs } from './generated-docs.js';

for (const [path, text] of generatedDocs()) {
  writeFileSync(join(packageRoot(), path), text);
  process.stdout.write(`wrote ${path}\n`);
}
