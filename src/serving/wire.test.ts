import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../kernel/index.js';
import type { Tensor } from './tensor.js';
import { fromHalf as halfToFloat, toHalf as floatToHalf } from './half.js';
import { parseJsonExact, tensorFromJson, tensorToJson } from './wire.js';

const roundTrip = (tensor: Tensor): Tensor => tensorFromJson(JSON.parse(tensorToJson(tensor)), 'test');

describe('Open Inference Protocol JSON tensors', () => {
  it('round-trips every datatype', () => {
    const tensors: Tensor[] = [
      { name: 'b', datatype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      { name: 'u8', datatype: 'UINT8', shape: [2], data: Uint8Array.of(0, 255) },
      { name: 'i32', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(-2147483648, 7) },
      { name: 'i64', datatype: 'INT64', shape: [2], data: BigInt64Array.of(-5n, 9007199254740991n) },
      { name: 'u64', datatype: 'UINT64', shape: [1], data: BigUint64Array.of(42n) },
      { name: 'h', datatype: 'FP16', shape: [3], data: Uint16Array.of(0x3c00, 0xc000, 0x0001) },
      { name: 'f', datatype: 'FP32', shape: [2], data: Float32Array.of(0.1, -3.5) },
      { name: 'd', datatype: 'FP64', shape: [1], data: Float64Array.of(Math.PI) },
      { name: 's', datatype: 'BYTES', shape: [2], data: ['a "quoted" text', 'é'] },
    ];
    for (const tensor of tensors) assert.deepEqual(roundTrip(tensor), tensor, tensor.datatype);
  });

  it('writes 64-bit integers beyond 2^53 exactly', () => {
    const text = tensorToJson({
      name: 'x',
      datatype: 'UINT64',
      shape: [1],
      data: BigUint64Array.of(18446744073709551615n),
    });
    assert.equal(text, '{"name":"x","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}');
  });

  it('reads 64-bit integers beyond 2^53 exactly with parseJsonExact, leaving strings and fractions alone', () => {
    const text =
      '{"name":"x","datatype":"INT64","shape":[2],"data":[-9223372036854775808,9223372036854775807],' +
      '"note":"12345678901234567","pi":3.1415926535897932384,"big":1e12345678901234567}';
    const parsed = parseJsonExact(text.replace(',"big":1e12345678901234567', '')) as Record<string, unknown>;
    assert.equal(parsed['note'], '12345678901234567');
    assert.equal(parsed['pi'], 3.141592653589793);
    assert.deepEqual(tensorFromJson(parsed, 'test').data, BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n));
    assert.equal((parseJsonExact(text) as Record<string, unknown>)['big'], Infinity);
  });

  it('writes non-finite floats as their names and reads them back', () => {
    const tensor: Tensor = {
      name: 'f',
      datatype: 'FP32',
      shape: [3],
      data: Float32Array.of(NaN, Infinity, -Infinity),
    };
    assert.equal(
      tensorToJson(tensor),
      '{"name":"f","datatype":"FP32","shape":[3],"data":["NaN","Infinity","-Infinity"]}',
    );
    assert.deepEqual(roundTrip(tensor), tensor);
    const half: Tensor = { name: 'h', datatype: 'FP16', shape: [2], data: Uint16Array.of(0x7c00, 0xfc00) };
    assert.deepEqual(roundTrip(half), half);
  });

  it('flattens nested data and checks it against the shape and datatype', () => {
    const t = tensorFromJson(
      {
        name: 'x',
        datatype: 'INT8',
        shape: [2, 2],
        data: [
          [1, 2],
          [3, 4],
        ],
      },
      'input',
    );
    assert.deepEqual(t.data, Int8Array.of(1, 2, 3, 4));
    const invalid = (value: unknown, pattern: RegExp): void => {
      assert.throws(
        () => tensorFromJson(value, 'input'),
        (e: unknown) => isStrataError(e) && e.code === 'INVALID_ARGUMENT' && pattern.test(e.message),
      );
    };
    invalid(
      { name: 'x', datatype: 'INT8', shape: [2], data: [1, 200] },
      /element 1 is 200; INT8 needs integers in \[-128, 127\]/,
    );
    invalid({ name: 'x', datatype: 'FP32', shape: [3], data: [1, 2] }, /has 2 elements; shape \[3\] needs 3/);
    invalid({ name: 'x', datatype: 'FP8', shape: [1], data: [1] }, /'datatype' must be one of/);
    invalid({ name: 'x', datatype: 'BYTES', shape: [1], data: [1] }, /BYTES needs strings/);
    invalid(
      { name: 'x', datatype: 'UINT64', shape: [1], data: ['18446744073709551616'] },
      /UINT64 needs integers/,
    );
    invalid({ name: 'x', datatype: 'FP64', shape: [1], data: ['constructor'] }, /FP64 needs numbers/);
  });
});

describe('half-precision conversion', () => {
  it('round-trips every finite half and both infinities', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const exponent = (bits >> 10) & 0x1f;
      if (exponent === 0x1f && (bits & 0x3ff) !== 0) continue; // NaN payloads collapse to one NaN
      assert.equal(floatToHalf(halfToFloat(bits)), bits, `bits 0x${bits.toString(16)}`);
    }
    assert.ok(Number.isNaN(halfToFloat(floatToHalf(NaN))));
  });

  it('rounds to nearest, ties to even', () => {
    assert.equal(floatToHalf(1 + 2 ** -11), 0x3c00, 'tie between 1 and the next half goes to even 1');
    assert.equal(floatToHalf(1 + 3 * 2 ** -11), 0x3c02, 'tie goes up to the even mantissa');
    assert.equal(floatToHalf(1 + 2 ** -11 + 2 ** -30), 0x3c01, 'just above a tie rounds up');
    assert.equal(floatToHalf(65519), 0x7bff);
    assert.equal(floatToHalf(65520), 0x7c00);
    assert.equal(floatToHalf(2 ** -25), 0x0000, 'half the smallest subnormal ties to zero');
    assert.equal(floatToHalf(3 * 2 ** -25), 0x0002);
    assert.equal(floatToHalf(-0), 0x8000);
    assert.equal(
      floatToHalf(2 ** -14 - 2 ** -25),
      0x0400,
      'the largest subnormal rounds up to the smallest normal',
    );
  });
});
