/** Every module of the platform; the table in modules.ts must have an entry for each. */
export const moduleNames = [
  'observability',
  'security',
  'server',
  'gateway',
  'vector',
  'serving',
  'features',
  'pipelines',
  'all',
] as const;
export type ModuleName = (typeof moduleNames)[number];

/** The modules a user may name with --target: the group `all` and one module per deployable process. */
export const targetNames = ['all', 'gateway', 'serving', 'vector', 'features', 'pipelines'] as const;
export type TargetName = (typeof targetNames)[number];
