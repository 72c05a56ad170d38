import { Value } from '@sinclair/typebox/value';
import { serverConfigSchema, type ServerConfig } from '../../src/gateway/index.js';

/**
 * A server config for tests that build the edge themselves: the schema's defaults, both ports
 * picked by the system, a 1 s drain, and whatever the test sets.
 */
export function testServerConfig(settings: Partial<ServerConfig> = {}): ServerConfig {
  const defaults = Value.Default(serverConfigSchema, {}) as ServerConfig;
  return { ...defaults, httpPort: 0, grpcPort: 0, shutdownGracePeriodMs: 1000, ...settings };
}
