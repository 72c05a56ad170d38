import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderErrorReference } from '../src/gateway/index.js';
import { packageRoot } from '../src/kernel/index.js';
import {
  renderConfigReference,
  renderModelConfigReference,
  renderModuleGraph,
} from '../src/platform/index.js';

const graphStart = '<!-- module-graph:start -->';
const graphEnd = '<!-- module-graph:end -->';

/**
 * Every document generated from code, as it should read now: path (from the package root) → text.
 * `npm run docs` writes them; test/docs.test.ts fails when a committed one differs.
 */
export function generatedDocs(): Map<string, string> {
  const architecturePath = join(packageRoot(), 'docs', 'architecture.md');
  const architecture = readFileSync(architecturePath, 'utf8');
  const start = architecture.indexOf(graphStart);
  const end = architecture.indexOf(graphEnd);
  if (start === -1 || end < start)
    throw new Error(`docs/architecture.md lacks the ${graphStart} … ${graphEnd} markers`);
  const withGraph =
    architecture.slice(0, start + graphStart.length) +
    '\n\n' +
    renderModuleGraph() +
    '\n\n' +
    architecture.slice(end);
  return new Map([
    ['docs/config.md', renderConfigReference()],
    ['docs/model-config.md', renderModelConfigReference()],
    ['docs/errors.md', renderErrorReference()],
    ['docs/architecture.md', withGraph],
  ]);
}
