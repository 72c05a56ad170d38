import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockCache, type BlockSource } from './block-cache.js';

/** Blocks whose bytes are their number, with a count of reads. */
function source(): BlockSource & { reads: number[] } {
  const reads: number[] = [];
  return {
    reads,
    readBlock(block, into) {
      reads.push(block);
      into.fill(block);
    },
  };
}

describe('BlockCache', () => {
  it('evicts the least recently used block, a hit making a block the newest', () => {
    const cache = new BlockCache(3 * 16);
    const file = cache.register();
    const blocks = source();
    for (const block of [0, 1, 2]) cache.read(file, block, 16, blocks);
    cache.read(file, 0, 16, blocks); // 0 is now newer than 1 and 2
    cache.read(file, 3, 16, blocks); // evicts 1
    assert.deepEqual(blocks.reads, [0, 1, 2, 3]);
    assert.equal(cache.read(file, 0, 16, blocks)[0], 0);
    assert.equal(cache.read(file, 2, 16, blocks)[0], 2);
    assert.deepEqual(blocks.reads, [0, 1, 2, 3], '0 and 2 stayed');
    assert.equal(cache.read(file, 1, 16, blocks)[0], 1);
    assert.deepEqual(blocks.reads, [0, 1, 2, 3, 1], '1 was read again');
    assert.deepEqual(cache.stats(), { bytes: 48, budget: 48, blocks: 3, hits: 3, misses: 5 });
  });

  it('lets peek read and update a cached block without refreshing it', () => {
    const cache = new BlockCache(2 * 8);
    const file = cache.register();
    const blocks = source();
    cache.read(file, 0, 8, blocks);
    cache.read(file, 1, 8, blocks);
    cache.peek(file, 0)?.fill(9);
    assert.equal(cache.peek(file, 5), undefined);
    cache.read(file, 2, 8, blocks); // 0 is still the oldest: peek did not refresh it
    assert.equal(cache.peek(file, 0), undefined);
    assert.equal(cache.stats().hits, 0);
  });

  it('keeps files apart, counts each one, and drops a file whole', () => {
    const cache = new BlockCache(1024);
    const [a, b] = [cache.register(), cache.register()];
    const blocks = source();
    cache.read(a, 7, 100, blocks);
    cache.read(b, 7, 100, blocks);
    cache.read(b, 8, 100, blocks);
    assert.deepEqual([cache.bytesOf(a), cache.bytesOf(b)], [100, 200]);
    cache.drop(b);
    assert.deepEqual([cache.bytesOf(a), cache.bytesOf(b), cache.stats().bytes], [100, 0, 100]);
  });

  it('never caches a block larger than the whole budget', () => {
    const cache = new BlockCache(10);
    const file = cache.register();
    const blocks = source();
    assert.equal(cache.read(file, 4, 64, blocks)[63], 4);
    assert.equal(cache.read(file, 4, 64, blocks)[0], 4);
    assert.deepEqual(blocks.reads, [4, 4]);
    assert.equal(cache.stats().bytes, 0);
  });
});
