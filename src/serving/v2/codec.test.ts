import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import type { Datatype, Tensor } from '../tensor.js';
import { decodeTensor, encodeData, encodeOutput } from './codec.js';
import { parseRequestJson } from './json.js';

function input(datatype: Datatype, shape: number[], data: unknown, extra: Record<string, unknown> = {}) {
  return { name: 'x', datatype, shape, data, ...extra };
}

/** Asserts that decoding fails with INVALID_ARGUMENT whose message contains every fragment. */
function rejects(value: unknown, ...fragments: string[]): void {
  assert.throws(
    () => decodeTensor(value, 0),
    (error: unknown) => {
      assert.ok(isStrataError(error), String(error));
      assert.equal(error.code, 'INVALID_ARGUMENT');
      for (const fragment of fragments) assert.ok(error.message.includes(fragment), error.message);
      return true;
    },
  );
}

/** Decodes, encodes back and parses the response text the way a client would (exactly). */
function roundTrip(datatype: Datatype, shape: number[], data: unknown): { tensor: Tensor; json: unknown } {
  const tensor = decodeTensor(input(datatype, shape, data), 0);
  return { tensor, json: parseRequestJson(encodeData(tensor)) };
}

describe('tensor codec: every datatype both ways', () => {
  const cases: readonly [Datatype, unknown[], unknown, unknown[]][] = [
    ['BOOL', [true, false, 1, 0], new Uint8Array([1, 0, 1, 0]), [true, false, true, false]],
    ['UINT8', [0, 255, 7, 1], new Uint8Array([0, 255, 7, 1]), [0, 255, 7, 1]],
    ['UINT16', [0, 65535, 7, 1], new Uint16Array([0, 65535, 7, 1]), [0, 65535, 7, 1]],
    ['UINT32', [0, 4294967295, 7, 1], new Uint32Array([0, 4294967295, 7, 1]), [0, 4294967295, 7, 1]],
    ['INT8', [-128, 127, -1, 0], new Int8Array([-128, 127, -1, 0]), [-128, 127, -1, 0]],
    ['INT16', [-32768, 32767, -1, 0], new Int16Array([-32768, 32767, -1, 0]), [-32768, 32767, -1, 0]],
    [
      'INT32',
      [-2147483648, 2147483647, -1, 0],
      new Int32Array([-2147483648, 2147483647, -1, 0]),
      [-2147483648, 2147483647, -1, 0],
    ],
    [
      'INT64',
      [-9223372036854775808n, 9223372036854775807n, '-42', 9007199254740991],
      new BigInt64Array([-9223372036854775808n, 9223372036854775807n, -42n, 9007199254740991n]),
      [-9223372036854775808n, 9223372036854775807n, -42, 9007199254740991],
    ],
    [
      'UINT64',
      [18446744073709551615n, '9007199254740993', 0, 5],
      new BigUint64Array([18446744073709551615n, 9007199254740993n, 0n, 5n]),
      [18446744073709551615n, 9007199254740993n, 0, 5],
    ],
    [
      'FP16',
      [1, -2, 0.1, 65504],
      new Uint16Array([0x3c00, 0xc000, 0x2e66, 0x7bff]),
      [1, -2, 0.0999755859375, 65504],
    ],
    [
      'FP32',
      [1.5, -2, 0.1, 3e38],
      new Float32Array([1.5, -2, 0.1, 3e38]),
      [1.5, -2, Math.fround(0.1), Math.fround(3e38)],
    ],
    ['FP64', [1.5, -2, 0.1, 1e300], new Float64Array([1.5, -2, 0.1, 1e300]), [1.5, -2, 0.1, 1e300]],
    ['BYTES', ['a', '', 'é"\n', '🙂'], ['a', '', 'é"\n', '🙂'], ['a', '', 'é"\n', '🙂']],
  ];
  for (const [datatype, request, stored, response] of cases) {
    it(datatype, () => {
      const { tensor, json } = roundTrip(datatype, [2, 2], request);
      assert.deepEqual(tensor, { name: 'x', datatype, shape: [2, 2], data: stored });
      assert.deepEqual(json, response);
    });
  }

  it('writes 64-bit integers with all their digits', () => {
    const tensor = decodeTensor(input('INT64', [3], ['9223372036854775807', '-9007199254740993', 0]), 0);
    assert.equal(encodeData(tensor), '[9223372036854775807,-9007199254740993,0]');
    const unsigned = decodeTensor(input('UINT64', [1], ['18446744073709551615']), 0);
    assert.equal(encodeData(unsigned), '[18446744073709551615]');
  });

  it('reads 64-bit integer literals from a request body exactly', () => {
    const body = parseRequestJson('{"data": [9007199254740993, -9223372036854775808]}') as { data: unknown };
    const tensor = decodeTensor(input('INT64', [2], body.data), 0);
    assert.deepEqual(tensor.data, new BigInt64Array([9007199254740993n, -9223372036854775808n]));
  });

  it('carries NaN and infinities as strings both ways', () => {
    for (const datatype of ['FP16', 'FP32', 'FP64'] as const) {
      const { json } = roundTrip(datatype, [4], ['NaN', 'Infinity', '-Infinity', -0]);
      assert.deepEqual(json, ['NaN', 'Infinity', '-Infinity', 0], datatype);
    }
  });

  it('encodes FP16 subnormals and infinities from their bits', () => {
    const tensor: Tensor = {
      name: 'y',
      datatype: 'FP16',
      shape: [4],
      data: new Uint16Array([0x0001, 0x83ff, 0x7c00, 0x7e00]),
    };
    assert.equal(encodeData(tensor), `[${2 ** -24},${-1023 * 2 ** -24},"Infinity","NaN"]`);
    const back = decodeTensor(input('FP16', [4], [2 ** -24, -1023 * 2 ** -24, 'Infinity', 'NaN']), 0);
    assert.deepEqual(back.data, new Uint16Array([0x0001, 0x83ff, 0x7c00, 0x7e00]));
    // Below half the smallest subnormal, a value rounds to zero rather than failing.
    assert.deepEqual(decodeTensor(input('FP16', [2], [1e-10, -1e-10]), 0).data, new Uint16Array([0, 0x8000]));
  });

  it("writes FP32 and FP64 elements in Number's string form", () => {
    const special = [0, -0, 1, -1.5, 0.1, 1e-7, 1.5e-45, 3.4028234663852886e38, 1e21, 123456789, 2 ** -149];
    const spread = Array.from({ length: 500 }, (_, i) => Math.sin(i + 1) * 10 ** ((i % 16) - 8));
    for (const [datatype, data] of [
      ['FP32', Float32Array.from([...special, ...spread])],
      ['FP64', Float64Array.from([...special, ...spread, 5e-324, 1.7976931348623157e308])],
    ] as const) {
      const text = encodeData({ name: 'y', datatype, shape: [data.length], data });
      assert.equal(text, `[${Array.from(data, String).join(',')}]`, datatype);
    }
  });

  it('encodes a whole output object', () => {
    const tensor: Tensor = { name: 'out "1"', datatype: 'BOOL', shape: [1, 2], data: new Uint8Array([1, 0]) };
    assert.deepEqual(JSON.parse(encodeOutput(tensor)), {
      name: 'out "1"',
      datatype: 'BOOL',
      shape: [1, 2],
      data: [true, false],
    });
  });
});

describe('tensor codec: shapes and nesting', () => {
  it('accepts data nested to the shape, row-major', () => {
    const tensor = decodeTensor(
      input(
        'INT32',
        [2, 3, 2],
        [
          [
            [1, 2],
            [3, 4],
            [5, 6],
          ],
          [
            [7, 8],
            [9, 10],
            [11, 12],
          ],
        ],
      ),
      0,
    );
    assert.deepEqual(tensor.data, new Int32Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
  });

  it('accepts scalars and empty tensors', () => {
    assert.deepEqual(decodeTensor(input('FP32', [], [2.5]), 0).data, new Float32Array([2.5]));
    assert.deepEqual(decodeTensor(input('FP32', [0, 3], []), 0).data, new Float32Array(0));
    assert.deepEqual(decodeTensor(input('BYTES', [2, 0], [[], []]), 0).data, []);
  });

  it('rejects element counts that do not match the shape', () => {
    rejects(input('FP32', [2, 2], [1, 2, 3]), "input 'x'", 'has 3 elements', 'shape [2, 2] needs 4');
    rejects(input('FP32', [3], [1, 2, 3, 4]), 'has 4 elements', 'needs 3');
    rejects(input('FP32', [], []), 'has 0 elements', 'needs 1');
  });

  it('rejects nesting that does not follow the shape', () => {
    rejects(input('FP32', [2, 2], [[1, 2], [3]]), '"data"[1] has 1 entries', 'needs 2 at dimension 1');
    rejects(input('FP32', [2, 2], [[1, 2, 3, 4]]), '"data" has 1 entries', 'needs 2 at dimension 0');
    rejects(
      input(
        'FP32',
        [4],
        [
          [1, 2],
          [3, 4],
        ],
      ),
      'nested deeper than shape [4]',
    );
    rejects(
      input(
        'FP32',
        [2, 2],
        [
          [[1], [2]],
          [[3], [4]],
        ],
      ),
      'nested deeper',
    );
    rejects(input('FP32', [2, 2], [[1, 2], 3]), '"data"[1] must be an array');
    rejects(input('FP32', [2, 2], [1, [2, 3], 4, 5]), 'element 1', 'expected a number');
  });

  it('rejects malformed shapes, datatypes, names and data', () => {
    rejects(input('FP32', [-1, 2], [1, 2]), 'shape must be an array of non-negative integers');
    rejects(input('FP32', [1.5], [1]), 'shape must be');
    rejects(input('FP32', '2' as unknown as number[], [1, 2]), 'shape must be');
    rejects(input('FLOAT' as Datatype, [1], [1]), 'unknown datatype "FLOAT"');
    rejects(input('FP32', [1], 1), '"data" must be an array of FP32 elements');
    rejects({ shape: [1], datatype: 'FP32', data: [1] }, 'inputs[0].name must be a non-empty string');
    rejects('x', 'inputs[0] must be an object');
  });

  it('rejects the shared-memory extension by name, and binary_data_size without a binary body', () => {
    rejects(
      input('FP32', [1], undefined, { parameters: { binary_data_size: 4 } }),
      'Inference-Header-Content-Length',
    );
    rejects(input('FP32', [1], undefined, { parameters: { shared_memory_region: 'r' } }), 'shared-memory');
  });
});

describe('tensor codec: element ranges', () => {
  const outOfRange: readonly [Datatype, unknown, string][] = [
    ['INT8', 128, '128 is out of range for INT8 (-128..127)'],
    ['INT8', -129, 'out of range for INT8'],
    ['INT16', 32768, 'out of range for INT16 (-32768..32767)'],
    ['INT32', 2147483648, 'out of range for INT32'],
    ['INT64', 9223372036854775808n, '9223372036854775808 is out of range for INT64'],
    ['INT64', '-9223372036854775809', 'out of range for INT64'],
    ['UINT8', 256, 'out of range for UINT8 (0..255)'],
    ['UINT8', -1, '-1 is out of range for UINT8'],
    ['UINT16', 65536, 'out of range for UINT16'],
    ['UINT32', -1, 'out of range for UINT32'],
    ['UINT64', -1, '-1 is out of range for UINT64 (0..18446744073709551615)'],
    ['UINT64', 18446744073709551616n, 'out of range for UINT64'],
    ['FP16', 65520, '65520 is out of range for FP16'],
    ['FP32', 1e39, 'out of range for FP32'],
  ];
  for (const [datatype, value, message] of outOfRange) {
    it(`${datatype} rejects ${String(value)}`, () => {
      rejects(input(datatype, [2], [0, value]), "input 'x'", 'element 1', message);
    });
  }

  it('requires integers to be integers', () => {
    for (const datatype of ['INT8', 'INT32', 'UINT16', 'INT64', 'UINT64'] as const) {
      rejects(input(datatype, [1], [1.5]), '1.5 is not an integer');
      rejects(input(datatype, [1], [true]), 'true');
    }
    rejects(input('INT32', [1], ['7']), 'expected an integer, got "7"');
    rejects(input('INT64', [1], ['7.5']), 'expected an integer or a decimal integer string, got "7.5"');
    rejects(input('INT64', [1], [1e19]), 'beyond 2^53', 'decimal string');
  });

  it('rejects values of the wrong JSON type', () => {
    rejects(input('BOOL', [1], ['true']), 'expected true or false, got "true"');
    rejects(input('BOOL', [1], [2]), 'expected true or false, got 2');
    rejects(input('FP32', [1], ['1.5']), 'expected a number (or "NaN", "Infinity", "-Infinity"), got "1.5"');
    rejects(input('FP64', [1], [null]), 'got null');
    rejects(input('BYTES', [1], [1]), 'expected a string, got 1');
    rejects(input('BYTES', [2], ['a', { b: 1 }]), 'element 1', 'expected a string, got {"b":1}');
  });
});

describe('tensor codec: whole tensors, as the remote Open Inference Protocol backend sends and reads them', () => {
  it('round-trips every datatype through its JSON text, 64-bit extremes and non-finite floats included', () => {
    const tensors: Tensor[] = [
      { name: 'b', datatype: 'BOOL', shape: [3], data: Uint8Array.of(1, 0, 1) },
      { name: 'u8', datatype: 'UINT8', shape: [2], data: Uint8Array.of(0, 255) },
      { name: 'i32', datatype: 'INT32', shape: [1, 2], data: Int32Array.of(-2147483648, 7) },
      { name: 'i64', datatype: 'INT64', shape: [2], data: BigInt64Array.of(-(2n ** 63n), 2n ** 63n - 1n) },
      { name: 'u64', datatype: 'UINT64', shape: [1], data: BigUint64Array.of(2n ** 64n - 1n) },
      { name: 'h', datatype: 'FP16', shape: [4], data: Uint16Array.of(0x3c00, 0xc000, 0x0001, 0x7c00) },
      { name: 'f', datatype: 'FP32', shape: [4], data: Float32Array.of(0.1, NaN, Infinity, -Infinity) },
      { name: 'd', datatype: 'FP64', shape: [1], data: Float64Array.of(Math.PI) },
      { name: 's', datatype: 'BYTES', shape: [2], data: ['a "quoted" text', 'é'] },
    ];
    for (const tensor of tensors) {
      const back = decodeTensor(parseRequestJson(encodeOutput(tensor)), 0, { role: 'output' });
      assert.deepEqual(back, tensor, tensor.datatype);
    }
  });

  it('names an output, not an input, when a response tensor does not fit', () => {
    assert.throws(
      () => decodeTensor({ name: 'y', datatype: 'INT8', shape: [2], data: [1, 200] }, 0, { role: 'output' }),
      (error: unknown) =>
        isStrataError(error) &&
        error.message.startsWith("output 'y': element 1 (row-major): 200 is out of range for INT8") &&
        (error.details as Record<string, unknown>)['output'] === 'y',
    );
  });
});
