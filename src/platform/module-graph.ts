import { moduleDependencies } from './modules.js';

/** The module table as a Mermaid graph, for docs/architecture.md (generated; a test keeps it current). */
export function renderModuleGraph(): string {
  const edges = Object.entries(moduleDependencies).flatMap(([name, deps]) =>
    deps.map((dep) => `  ${name} --> ${dep}`),
  );
  return ['```mermaid', 'graph TD', ...edges, '```'].join('\n');
}
