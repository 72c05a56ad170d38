// Qdrant's `quantization_config` (collection creation) and `params.quantization` (search), checked
// here and nowhere else. The collection keeps the config in Qdrant's shape, as the client sent it,
// so that the catalog and snapshots persist it and collection info reports it unchanged.
import { StrataError } from '../../kernel/index.js';
import type { QuantizationSearchParams } from '../types.js';
import type { Quantization } from './quantized-index.js';

/**
 * Qdrant's `ScalarQuantization | BinaryQuantization`. `always_ram` is accepted and reported; the
 * codes are always in RAM here, and so (for now) are the originals kept for rescoring.
 */
export type QuantizationConfig =
  | {
      readonly scalar: { readonly type: 'int8'; readonly quantile?: number; readonly always_ram?: boolean };
    }
  | { readonly binary: { readonly always_ram?: boolean } };

const invalid = (message: string): StrataError => new StrataError('INVALID_ARGUMENT', message);

function object(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`${path} must be an object`);
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw invalid(`${path}.${key} is not supported; ${path} takes ${allowed.join(', ')}`);
  }
}

function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(`${path} must be true or false`);
  return value;
}

/** The `quantization_config` of a create-collection body, or undefined for none. */
export function quantizationConfigFrom(value: unknown): QuantizationConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const config = object(value, 'quantization_config');
  const kinds = Object.keys(config).filter((key) => config[key] !== undefined && config[key] !== null);
  if (kinds.includes('product'))
    throw invalid(
      'quantization_config.product is not supported; use {"scalar": {"type": "int8"}} or {"binary": {}}',
    );
  if (kinds.length !== 1 || (kinds[0] !== 'scalar' && kinds[0] !== 'binary'))
    throw invalid(
      'quantization_config must hold exactly one of scalar or binary, e.g. {"scalar": {"type": "int8", "quantile": 0.99}} or {"binary": {}}',
    );
  if (kinds[0] === 'binary') {
    const binary = object(config['binary'], 'quantization_config.binary');
    onlyKeys(binary, 'quantization_config.binary', ['always_ram']);
    const alwaysRam = optionalBoolean(binary['always_ram'], 'quantization_config.binary.always_ram');
    return { binary: alwaysRam === undefined ? {} : { always_ram: alwaysRam } };
  }
  const scalar = object(config['scalar'], 'quantization_config.scalar');
  onlyKeys(scalar, 'quantization_config.scalar', ['type', 'quantile', 'always_ram']);
  if (scalar['type'] !== 'int8')
    throw invalid(`quantization_config.scalar.type must be "int8", got ${JSON.stringify(scalar['type'])}`);
  const quantile = scalar['quantile'];
  if (
    quantile !== undefined &&
    quantile !== null &&
    (typeof quantile !== 'number' || !(quantile >= 0.5 && quantile <= 1))
  ) {
    throw invalid(
      `quantization_config.scalar.quantile must be a number from 0.5 to 1 (the share of values the int8 range covers), got ${JSON.stringify(quantile)}`,
    );
  }
  const alwaysRam = optionalBoolean(scalar['always_ram'], 'quantization_config.scalar.always_ram');
  return {
    scalar: {
      type: 'int8',
      ...(typeof quantile === 'number' ? { quantile } : {}),
      ...(alwaysRam === undefined ? {} : { always_ram: alwaysRam }),
    },
  };
}

/** What the index builds for a collection's config. */
export function quantizationOf(config: QuantizationConfig): Quantization {
  if ('binary' in config) return { kind: 'binary' };
  const { quantile } = config.scalar;
  return quantile === undefined ? { kind: 'int8' } : { kind: 'int8', quantile };
}

export const maxOversampling = 100;

/** A search's `params.quantization`, or undefined for none. */
export function quantizationSearchFrom(value: unknown): QuantizationSearchParams | undefined {
  if (value === undefined || value === null) return undefined;
  const path = 'params.quantization';
  const params = object(value, path);
  onlyKeys(params, path, ['ignore', 'rescore', 'oversampling']);
  const ignore = optionalBoolean(params['ignore'], `${path}.ignore`);
  const rescore = optionalBoolean(params['rescore'], `${path}.rescore`);
  const oversampling = params['oversampling'];
  if (
    oversampling !== undefined &&
    oversampling !== null &&
    (typeof oversampling !== 'number' || !(oversampling >= 1 && oversampling <= maxOversampling))
  ) {
    throw invalid(
      `${path}.oversampling must be a number from 1 to ${maxOversampling} (candidates per requested point), got ${JSON.stringify(oversampling)}`,
    );
  }
  return {
    ...(ignore === undefined ? {} : { ignore }),
    ...(rescore === undefined ? {} : { rescore }),
    ...(typeof oversampling === 'number' ? { oversampling } : {}),
  };
}
