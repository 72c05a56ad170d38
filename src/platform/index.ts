export { buildCli } from './cli.js';
export {
  configSchema,
  loadConfig,
  redactConfig,
  renderConfigReference,
  renderModelConfigReference,
  type ConfigSources,
  type StrataConfig,
} from './config/index.js';
export { moduleNames, targetNames, type ModuleName, type TargetName } from './module-names.js';
export { renderModuleGraph } from './module-graph.js';
export { moduleDependencies } from './modules.js';
export { Platform, strataVersion, type PlatformOptions, type ShutdownResult } from './platform.js';
export { serverNodeFlags } from './server-flags.js';
export { untilSignal } from './signals.js';
