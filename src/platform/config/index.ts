export { loadConfig, type ConfigSources } from './load.js';
export { redactConfig } from './redact.js';
export { renderConfigReference, renderModelConfigReference } from './reference.js';
export { configSchema, type StrataConfig } from './schema.js';
