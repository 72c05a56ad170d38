import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import type { InputTensorMessage, ModelInferRequestMessage } from './inference-messages.js';
import { decodeModelInferRequest, encodeModelInferResponse, parameterValues } from './inference-tensors.js';

function input(fields: Partial<InputTensorMessage>): InputTensorMessage {
  return { name: 'x', datatype: 'INT32', shape: ['2'], parameters: {}, contents: null, ...fields };
}

function request(fields: Partial<ModelInferRequestMessage>): ModelInferRequestMessage {
  return {
    model_name: 'm',
    model_version: '',
    id: '',
    parameters: {},
    inputs: [],
    outputs: [],
    raw_input_contents: [],
    ...fields,
  };
}

/** Asserts that decoding fails with INVALID_ARGUMENT and a message matching `pattern`. */
function refuses(message: ModelInferRequestMessage, pattern: RegExp): void {
  assert.throws(
    () => decodeModelInferRequest(message, {}),
    (error: unknown) =>
      isStrataError(error) && error.code === 'INVALID_ARGUMENT' && pattern.test(error.message),
  );
}

describe('gRPC ModelInfer translation', () => {
  it('takes typed contents from the datatype’s field only', () => {
    const { request: decoded, rawOutput } = decodeModelInferRequest(
      request({ inputs: [input({ contents: { int_contents: [1, -2] } })], model_version: '3', id: 'q' }),
      { 'x-variant': 'a' },
    );
    assert.equal(rawOutput, false);
    assert.equal(decoded.version, 3);
    assert.equal(decoded.id, 'q');
    assert.deepEqual(Array.from(decoded.inputs[0]?.data as Int32Array), [1, -2]);
    assert.deepEqual(decoded.headers, { 'x-variant': 'a' });
    refuses(
      request({ inputs: [input({ contents: { fp32_contents: [1, 2] } })] }),
      /int_contents, not fp32_contents/,
    );
    refuses(
      request({ inputs: [input({ contents: { int_contents: [1] } })] }),
      /1 elements; shape \[2\] needs 2/,
    );
    refuses(
      request({ inputs: [input({ contents: { int_contents: [1, 2 ** 40] } })] }),
      /out of range for INT32/,
    );
  });

  it('checks raw contents against the inputs and the datatype’s size', () => {
    const raw = Buffer.from(new Int32Array([7, 8]).buffer);
    const { request: decoded, rawOutput } = decodeModelInferRequest(
      request({ inputs: [input({})], raw_input_contents: [raw] }),
      {},
    );
    assert.equal(rawOutput, true);
    assert.deepEqual(Array.from(decoded.inputs[0]?.data as Int32Array), [7, 8]);
    refuses(
      request({ inputs: [input({}), input({ name: 'y' })], raw_input_contents: [raw] }),
      /one per input/,
    );
    refuses(request({ inputs: [input({})], raw_input_contents: [raw.subarray(0, 6)] }), /take 8/);
    refuses(
      request({ inputs: [input({ contents: { int_contents: [1, 2] } })], raw_input_contents: [raw] }),
      /both contents and raw_input_contents/,
    );
  });

  it('refuses BYTES that are not UTF-8, unknown datatypes and repeated inputs', () => {
    refuses(
      request({
        inputs: [
          input({ datatype: 'BYTES', shape: ['1'], contents: { bytes_contents: [Buffer.from([0xff])] } }),
        ],
      }),
      /not UTF-8/,
    );
    refuses(
      request({ inputs: [input({ datatype: 'INT128', contents: { int_contents: [1, 2] } })] }),
      /unknown datatype/,
    );
    const twice = input({ contents: { int_contents: [1, 2] } });
    refuses(request({ inputs: [twice, twice] }), /more than once/);
  });

  it('reads parameters as plain values and refuses 64-bit ones a number would round', () => {
    assert.deepEqual(
      parameterValues(
        {
          a: { parameter_choice: 'bool_param', bool_param: true },
          b: { parameter_choice: 'int64_param', int64_param: '-5' },
          c: { parameter_choice: 'string_param', string_param: 's' },
          d: { parameter_choice: 'double_param', double_param: 0.5 },
        },
        'parameter',
      ),
      { a: true, b: -5, c: 's', d: 0.5 },
    );
    assert.throws(
      () =>
        parameterValues(
          { big: { parameter_choice: 'uint64_param', uint64_param: '18446744073709551615' } },
          'p',
        ),
      /beyond 2\^53/,
    );
  });

  it('answers raw when an output is FP16, which has no typed field', () => {
    const fp16 = { name: 'h', datatype: 'FP16' as const, shape: [1], data: new Uint16Array([0x3c00]) };
    const int64 = { name: 'i', datatype: 'INT64' as const, shape: [1], data: new BigInt64Array([2n ** 62n]) };
    const raw = encodeModelInferResponse(
      { model: 'm', version: 2, outputs: [fp16, int64], cached: false },
      false,
    );
    assert.equal(raw.model_version, '2');
    assert.deepEqual(raw.raw_output_contents, [Buffer.from([0x00, 0x3c]), Buffer.from(int64.data.buffer)]);
    const typed = encodeModelInferResponse(
      { model: 'm', version: 2, outputs: [int64], cached: false },
      false,
    );
    assert.deepEqual(typed.outputs[0]?.contents, { int64_contents: [String(2n ** 62n)] });
  });
});
