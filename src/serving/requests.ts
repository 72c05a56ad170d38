import { StrataError } from '../kernel/index.js';
import { checkElementCount, shapeMatches, shapeText, type Tensor, type TensorSpec } from './tensor.js';

/**
 * Validates a request's inputs against the version's declaration and returns them in declared
 * order (the order backends and the batcher rely on). With batching, each input carries a
 * leading batch dimension, the same for all inputs, that the declaration leaves out (Triton).
 */
export function checkInputs(
  inputs: readonly Tensor[],
  specs: readonly TensorSpec[],
  batching: boolean,
  model: string,
): Tensor[] {
  const byName = new Map<string, Tensor>();
  for (const input of inputs) {
    if (byName.has(input.name))
      throw new StrataError('INVALID_ARGUMENT', `input '${input.name}' is given twice`, {
        details: { input: input.name },
      });
    byName.set(input.name, input);
  }
  for (const name of byName.keys()) {
    if (!specs.some((s) => s.name === name)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `model '${model}' has no input '${name}'; its inputs are ${specs.map((s) => `'${s.name}'`).join(', ')}`,
        { details: { input: name } },
      );
    }
  }
  let rows: number | undefined;
  return specs.map((spec) => {
    const input = byName.get(spec.name);
    if (input === undefined) {
      throw new StrataError('INVALID_ARGUMENT', `input '${spec.name}' is missing (model '${model}')`, {
        details: { input: spec.name },
      });
    }
    const declared = batching ? [-1, ...spec.shape] : spec.shape;
    if (input.datatype !== spec.datatype) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `input '${input.name}' has datatype ${input.datatype}; model '${model}' expects ${spec.datatype}`,
        { details: { input: input.name, expected: spec.datatype, got: input.datatype } },
      );
    }
    if (!shapeMatches(input.shape, declared) || input.shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `input '${input.name}' has shape ${shapeText(input.shape)}; model '${model}' expects ${shapeText(declared)} (-1 = any size${batching ? ', the first is the batch' : ''})`,
        { details: { input: input.name, expected: declared, got: input.shape } },
      );
    }
    checkElementCount(input);
    if (batching) {
      const first = input.shape[0] ?? 0;
      if (first < 1) throw new StrataError('INVALID_ARGUMENT', `input '${input.name}' has an empty batch`);
      if (rows !== undefined && first !== rows) {
        throw new StrataError(
          'INVALID_ARGUMENT',
          `inputs disagree on the batch size (${String(rows)} and ${String(first)} rows); every input needs the same first dimension`,
        );
      }
      rows = first;
    }
    return input;
  });
}

export function checkOutputNames(
  names: readonly string[],
  specs: readonly TensorSpec[],
  model: string,
): void {
  for (const name of names) {
    if (!specs.some((s) => s.name === name)) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `model '${model}' has no output '${name}'; its outputs are ${specs.map((s) => `'${s.name}'`).join(', ')}`,
        { details: { output: name } },
      );
    }
  }
}

/** Declared specs as a client sends them: with the batch dimension as -1 when the model batches. */
export function clientSpecs(specs: readonly TensorSpec[], batching: boolean): TensorSpec[] {
  return specs.map((s) => ({ ...s, shape: batching ? [-1, ...s.shape] : [...s.shape] }));
}

/** Whether two answers agree: same names, shapes and values (floats within 1e-5 relative). */
export function outputsEqual(a: readonly Tensor[], b: readonly Tensor[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i];
    if (y?.name !== x.name || y.datatype !== x.datatype || shapeText(y.shape) !== shapeText(x.shape))
      return false;
    if (x.data.length !== y.data.length) return false;
    for (let j = 0; j < x.data.length; j++) {
      const u = x.data[j];
      const v = y.data[j];
      if (typeof u === 'number' && typeof v === 'number') {
        if (Math.abs(u - v) > 1e-5 * Math.max(1, Math.abs(u), Math.abs(v))) return false;
      } else if (u !== v) return false;
    }
    return true;
  });
}
