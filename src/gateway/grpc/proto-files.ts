import { join } from 'node:path';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { packageRoot } from '../../kernel/index.js';

/**
 * How Strata's .proto files are loaded, by its server and by clients in its tests: field names as
 * written, 64-bit integers as decimal strings (exact), enums by name, absent fields at their
 * defaults, and a oneof's chosen field named.
 */
export const protoLoadOptions = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
} as const;

/** A file in the package's `proto/` folder. */
export function protoPath(file: string): string {
  return join(packageRoot(), 'proto', file);
}

export function loadProto(path: string): PackageDefinition {
  return loadSync(path, protoLoadOptions);
}
