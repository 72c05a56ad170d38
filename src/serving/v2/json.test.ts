import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { parseRequestJson } from './json.js';

function malformed(text: string): void {
  assert.throws(
    () => parseRequestJson(text),
    (error: unknown) => isStrataError(error) && error.code === 'MALFORMED_REQUEST',
    text,
  );
}

describe('parseRequestJson', () => {
  it('keeps integer literals beyond 2^53 exact as bigint', () => {
    const parsed = parseRequestJson(
      '{"data": [9007199254740993, -9223372036854775808, 18446744073709551615, 1, 2.5]}',
    );
    assert.deepEqual(parsed, {
      data: [9007199254740993n, -9223372036854775808n, 18446744073709551615n, 1, 2.5],
    });
  });

  it('finds a big integer after every character a JSON number may follow', () => {
    const big = -9007199254740993n;
    assert.equal(parseRequestJson(String(big)), big);
    assert.deepEqual(parseRequestJson(`[${big}]`), [big]);
    assert.deepEqual(parseRequestJson(`[1,${big}]`), [1, big]);
    assert.deepEqual(parseRequestJson(`{"a":${big}}`), { a: big });
    assert.deepEqual(parseRequestJson(`[1,\n\t${big}]`), [1, big]);
    assert.deepEqual(parseRequestJson(`{"a": \r${big}}`), { a: big });
  });

  it('leaves long fractions, exponents and safe integers as numbers', () => {
    const text = '[0.30000000000000004, 12345678901234567.5, 1e300, 9007199254740991]';
    assert.deepEqual(parseRequestJson(text), JSON.parse(text));
    // The same numbers on the exact path, which a big integer elsewhere in the body selects.
    const exact = parseRequestJson(text.replace(']', ', 12345678901234567890]')) as unknown[];
    assert.deepEqual(exact.slice(0, 4), JSON.parse(text));
    assert.deepEqual(parseRequestJson('[1.0000000000000000001e5, 1E-12345678901234567]'), [100000, 0]);
  });

  it('parses the rest of JSON like JSON.parse once any big integer sends it to the exact parser', () => {
    const text =
      ' { "a" : [ true , false , null , "x\\"y\\\\" , "\\u00e9\\n" , { } , [ ] , -0 , 1e2 ] ,' +
      ' "__proto__" : { "polluted" : 1 } , "big" : 12345678901234567890 } ';
    const parsed = parseRequestJson(text) as Record<string, unknown>;
    const expected = JSON.parse(text.replace('12345678901234567890', '0')) as Record<string, unknown>;
    assert.deepEqual(parsed['a'], expected['a']);
    assert.equal(parsed['big'], 12345678901234567890n);
    assert.ok(Object.hasOwn(parsed, '__proto__'));
    assert.equal(Object.getPrototypeOf(parsed), Object.prototype);
    assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
  });

  it('answers MALFORMED_REQUEST for invalid JSON on both paths', () => {
    for (const big of ['', ', 12345678901234567890']) {
      malformed(`[1, 2${big}`);
      malformed(`[1, 2${big}]]`);
      malformed(`{"a" 1${big}}`);
      malformed(`[01${big}]`);
      malformed(`[NaN${big}]`);
      malformed(`["unterminated${big}]`);
      malformed(`["tab\there"${big}]`);
      malformed(`{'a': 1${big}}`);
      malformed(`[1,${big}]`);
    }
    malformed('');
  });

  it('limits nesting on the exact path', () => {
    const deep = '['.repeat(10_000) + '12345678901234567890' + ']'.repeat(10_000);
    malformed(deep);
  });
});
