// Architecture rules (ARCHITECTURE.md §2), enforced by `npm run lint`.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles make start-up order and module boundaries unpredictable.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'contexts-only-through-index',
      severity: 'error',
      comment: 'A context imports another only through its public front door, src/<context>/index.ts.',
      from: { path: '^src/([^/]+)/' },
      to: { path: '^src/([^/]+)/.+', pathNot: ['^src/$1/', '^src/[^/]+/index\\.ts$'] },
    },
    {
      name: 'outside-src-only-through-index',
      severity: 'error',
      comment: 'Tests, benchmarks and scripts outside src/ use a context through its index.ts too.',
      from: { path: '^(test|bench|scripts)/' },
      to: { path: '^src/[^/]+/.+', pathNot: '^src/[^/]+/index\\.ts$' },
    },
    {
      name: 'kernel-imports-no-context',
      severity: 'error',
      comment: 'The shared kernel is imported by every context and imports none of them.',
      from: { path: '^src/kernel/' },
      to: { path: '^src/', pathNot: '^src/kernel/' },
    },
    {
      name: 'only-platform-wires',
      severity: 'error',
      comment: 'Only the composition root (src/platform) and the entry point import src/platform.',
      from: { path: '^src/', pathNot: ['^src/platform/', '^src/main\\.ts$'] },
      to: { path: '^src/platform/' },
    },
    {
      name: 'no-dev-deps-in-src',
      severity: 'error',
      comment:
        'Runtime code must not import devDependencies or optional ones (benchmark peers such as the native hnswlib-node, test tools).',
      from: { path: '^src/', pathNot: '\\.test\\.ts$' },
      to: { dependencyTypes: ['npm-dev', 'npm-optional'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
  },
};
