export { loadConfig, type ConfigSources } from './load.js';
export { redactConfig } from './redact.js';
export { renderConfigReference } from './reference.js';
export { configSchema, type StrataConfig } from './schema.js';
