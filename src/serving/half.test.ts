import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHalf, overflowsHalf, toHalf } from './half.js';

const hex = (bits: number) => `0x${bits.toString(16).padStart(4, '0')}`;

describe('FP16', () => {
  it('decodes the landmark bit patterns', () => {
    assert.equal(fromHalf(0x0000), 0);
    assert.ok(Object.is(fromHalf(0x8000), -0));
    assert.equal(fromHalf(0x3c00), 1);
    assert.equal(fromHalf(0xc000), -2);
    assert.equal(fromHalf(0x7bff), 65504);
    assert.equal(fromHalf(0x0400), 2 ** -14);
    assert.equal(fromHalf(0x0001), 2 ** -24);
    assert.equal(fromHalf(0x03ff), 1023 * 2 ** -24);
    assert.equal(fromHalf(0x3555), 0.333251953125);
    assert.equal(fromHalf(0x7c00), Infinity);
    assert.equal(fromHalf(0xfc00), -Infinity);
    assert.ok(Number.isNaN(fromHalf(0x7e00)));
    assert.ok(Number.isNaN(fromHalf(0xfc01)));
  });

  it('round-trips every non-NaN half exactly', () => {
    for (let bits = 0; bits < 0x10000; bits++) {
      const value = fromHalf(bits);
      if (Number.isNaN(value)) continue;
      assert.equal(toHalf(value), bits, `${hex(bits)} = ${value}`);
    }
  });

  it('rounds to nearest, ties to even, at every pair of neighbouring halves', () => {
    // Positive finite halves 0x0000..0x7bfe with their upper neighbour, normals and subnormals alike.
    for (let bits = 0; bits < 0x7bff; bits++) {
      const low = fromHalf(bits);
      const high = fromHalf(bits + 1);
      const middle = (low + high) / 2;
      const even = bits % 2 === 0 ? bits : bits + 1;
      assert.equal(toHalf(middle), even, `tie between ${hex(bits)} and ${hex(bits + 1)}`);
      assert.equal(toHalf(-middle), 0x8000 | even);
      const ulp = high - low;
      assert.equal(toHalf(middle - ulp / 1024), bits, `just below the tie above ${hex(bits)}`);
      assert.equal(toHalf(middle + ulp / 1024), bits + 1, `just above the tie above ${hex(bits)}`);
    }
  });

  it('rounds once from the double, not through float32', () => {
    // 1 + 2^-11 + 2^-40 is just above the tie between 1 and the next half; as float32 it would
    // be the tie itself (2^-40 is lost) and round down to 1.
    const value = 1 + 2 ** -11 + 2 ** -40;
    assert.equal(Math.fround(value), 1 + 2 ** -11);
    assert.equal(toHalf(value), 0x3c01);
  });

  it('overflows to infinity from 65520 and keeps the largest half below it', () => {
    assert.equal(toHalf(65504), 0x7bff);
    assert.equal(toHalf(65519.99), 0x7bff);
    assert.equal(toHalf(65520), 0x7c00);
    assert.equal(toHalf(-1e10), 0xfc00);
    assert.equal(toHalf(Infinity), 0x7c00);
    assert.equal(toHalf(-Infinity), 0xfc00);
    assert.equal(toHalf(NaN), 0x7e00);
    assert.ok(overflowsHalf(65520));
    assert.ok(!overflowsHalf(65519));
    assert.ok(!overflowsHalf(Infinity));
  });

  it('underflows to signed zero below half the smallest subnormal', () => {
    assert.equal(toHalf(2 ** -25), 0x0000, 'the tie between 0 and 2^-24 goes to the even 0');
    assert.equal(toHalf(2 ** -25 * 1.0001), 0x0001);
    assert.equal(toHalf(1e-30), 0x0000);
    assert.equal(toHalf(-1e-30), 0x8000);
    assert.equal(toHalf(-0), 0x8000);
    assert.equal(toHalf(0.1), 0x2e66);
    assert.equal(toHalf(3.14159), 0x4248);
  });
});
