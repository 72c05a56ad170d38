import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { turnChunks } from './turn-chunks.js';

const sizes = (items: Iterable<number>, size: number): number[] =>
  [...turnChunks(items, size)].map((chunk) => chunk.length);

function* counted(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

describe('turnChunks', () => {
  it('cuts whole chunks and keeps the last one back for the remainder', () => {
    assert.deepEqual(sizes(counted(10), 4), [4, 6]);
    assert.deepEqual(sizes(counted(12), 4), [4, 4, 4]);
    assert.deepEqual(sizes(counted(17), 4), [4, 4, 4, 5]);
    assert.deepEqual(sizes(counted(3), 4), [3]);
    assert.deepEqual(sizes(counted(0), 4), [0]);
  });

  it('keeps the items in order, each once', () => {
    assert.deepEqual([...turnChunks(counted(11), 3)].flat(), [...counted(11)]);
  });

  it('yields a short array as it is, and splits a long one as it would a stream', () => {
    const short = [1, 2, 3];
    assert.equal([...turnChunks(short, 2)][0], short);
    assert.deepEqual(sizes([...counted(9)], 2), sizes(counted(9), 2));
  });
});
