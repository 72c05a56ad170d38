import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { packageRoot } from '../kernel/index.js';
import { serverNodeFlags } from './server-flags.js';

describe('server V8 flags', () => {
  const root = packageRoot();
  const flags = serverNodeFlags.join(' ');

  it('npm start runs Node with them', () => {
    const scripts = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        scripts: Record<string, string>;
      }
    ).scripts;
    assert.match(scripts['start'] ?? '', new RegExp(`node ${flags} dist/src/main\\.js start`));
  });

  it('the strata command runs Node with them', () => {
    for (const file of ['src/main.ts', 'dist/src/main.js']) {
      const first = readFileSync(join(root, file), 'utf8').split('\n')[0];
      assert.equal(first, `#!/usr/bin/env -S node ${flags}`, file);
    }
  });
});
