import { StrataError } from '../../kernel/index.js';
import { shapeText, type TensorSpec } from '../tensor.js';
import { datatypeOf, type ValueMetadata } from './onnx-protocol.js';

export type Role = 'input' | 'output';

/**
 * A model's inputs or outputs as Strata declares them, from what ONNX Runtime reports: symbolic
 * and unknown dimensions become -1, and when the model batches (max_batch_size > 0) the first
 * dimension is the batch and is left out, as in Triton's model configuration.
 */
export function specsFromModel(
  values: readonly ValueMetadata[],
  role: Role,
  maxBatchSize: number,
  path: string,
): TensorSpec[] {
  return values.map((value) => {
    const datatype = value.type === undefined ? undefined : datatypeOf(value.type);
    if (!value.isTensor || datatype === undefined) {
      const kind = value.isTensor ? `type ${value.type ?? 'unknown'}` : 'a non-tensor type (sequence or map)';
      throw new StrataError(
        'CONFIG_INVALID',
        `model ${path}: ${role} '${value.name}' has ${kind}, which Strata cannot serve; export the model with tensors of bool, (u)int8..64, float16, float32, float64 or string`,
        { details: { path, [role]: value.name, type: value.type } },
      );
    }
    const shape = (value.shape ?? []).map((d) => (typeof d === 'number' && d >= 0 ? d : -1));
    if (maxBatchSize === 0) return { name: value.name, datatype, shape };
    if (shape[0] !== -1) {
      throw new StrataError(
        'CONFIG_INVALID',
        `model ${path}: ${role} '${value.name}' has shape ${shapeText(shape)}, but max_batch_size ${String(maxBatchSize)} needs a dynamic first (batch) dimension; set max_batch_size to 0 or export the model with a dynamic first axis`,
        { details: { path, [role]: value.name, shape } },
      );
    }
    return { name: value.name, datatype, shape: shape.slice(1) };
  });
}

/**
 * The specs to serve: the config's declaration when it has one, else the model's own. A
 * declaration may narrow the model (a fixed size where the model has -1, a subset of the outputs)
 * but not contradict it; every model input must be declared, since ORT cannot run without it.
 */
export function reconcile(
  declared: readonly TensorSpec[],
  model: readonly TensorSpec[],
  role: Role,
  path: string,
): readonly TensorSpec[] {
  if (declared.length === 0) return model;
  const names = model.map((m) => m.name).join(', ');
  const fail = (message: string, details: Record<string, unknown>): never => {
    throw new StrataError('CONFIG_INVALID', `model ${path}: ${message}`, { details: { path, ...details } });
  };
  for (const spec of declared) {
    const actual = model.find((m) => m.name === spec.name);
    if (actual === undefined) {
      fail(
        `the config declares ${role} '${spec.name}', which the model does not have; its ${role}s are: ${names}`,
        {
          [role]: spec.name,
          available: model.map((m) => m.name),
        },
      );
      continue;
    }
    if (spec.datatype !== actual.datatype)
      fail(
        `the config declares ${role} '${spec.name}' as ${spec.datatype}; the model has ${actual.datatype}, declare that instead`,
        {
          [role]: spec.name,
          declared: spec.datatype,
          model: actual.datatype,
        },
      );
    if (!compatible(spec.shape, actual.shape))
      fail(
        `the config declares ${role} '${spec.name}' with shape ${shapeText(spec.shape)}; the model has ${shapeText(actual.shape)} (-1 = any size; without the batch dimension when max_batch_size > 0)`,
        { [role]: spec.name, declared: spec.shape, model: actual.shape },
      );
  }
  if (role === 'input') {
    const missing = model.filter((m) => !declared.some((d) => d.name === m.name)).map((m) => m.name);
    if (missing.length > 0)
      fail(
        `the model also needs input(s) ${missing.join(', ')}; declare them in the config's inputs or drop the list`,
        {
          missing,
        },
      );
  }
  return declared;
}

function compatible(declared: readonly number[], model: readonly number[]): boolean {
  return (
    declared.length === model.length &&
    declared.every((d, i) => {
      const m = model[i] ?? -1;
      return d === -1 ? m === -1 : m === -1 || m === d;
    })
  );
}
