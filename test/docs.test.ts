/** Generated documents must match the code: run `npm run docs` after changing config, errors or modules. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../src/kernel/index.js';
import { generatedDocs } from '../scripts/generated-docs.js';

describe('generated docs', () => {
  for (const [path, expected] of generatedDocs()) {
    it(`${path} is current (run \`npm run docs\` if not)`, () => {
      assert.equal(readFileSync(join(packageRoot(), path), 'utf8'), expected);
    });
  }
});
