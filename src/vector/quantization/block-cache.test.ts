import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockCache, type BlockSource, type CacheFile } from './block-cache.js';

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

/** Reads each block twice: its first miss only remembers it, the second caches it. */
function admit(
  cache: BlockCache,
  file: CacheFile,
  blocks: readonly number[],
  size: number,
  from: BlockSource,
): void {
  for (const block of blocks) {
    cache.read(file, block, size, from);
    cache.read(file, block, size, from);
  }
}

describe('BlockCache', () => {
  it('caches a block on its second miss, not its first', () => {
    const cache = new BlockCache(4 * 16);
    const file = cache.register();
    const blocks = source();
    assert.equal(cache.read(file, 5, 16, blocks)[0], 5);
    assert.equal(cache.stats().blocks, 0, 'a first miss is not cached');
    assert.equal(cache.read(file, 6, 16, blocks)[0], 6, 'the staging buffer holds the latest read');
    assert.equal(cache.read(file, 5, 16, blocks)[0], 5);
    assert.equal(cache.stats().blocks, 1, 'the second miss is');
    assert.equal(cache.read(file, 5, 16, blocks)[0], 5);
    assert.deepEqual(blocks.reads, [5, 6, 5]);
    assert.deepEqual(cache.stats(), { bytes: 16, budget: 64, blocks: 1, hits: 1, misses: 3 });
  });

  it('forgets a block missed once after as many other misses as it remembers', () => {
    // A budget of 4096 remembers 64 blocks (the least), so block 0 is forgotten after 64 others.
    const cache = new BlockCache(4096);
    const file = cache.register();
    const blocks = source();
    cache.read(file, 0, 16, blocks);
    for (let block = 1; block <= 64; block++) cache.read(file, block, 16, blocks);
    cache.read(file, 0, 16, blocks);
    assert.equal(cache.stats().blocks, 0, 'block 0 was forgotten, so its second miss is a first');
    cache.read(file, 0, 16, blocks);
    assert.equal(cache.stats().blocks, 1);
  });

  it('evicts the least recently used block, a hit making a block the newest', () => {
    const cache = new BlockCache(3 * 16);
    const file = cache.register();
    const blocks = source();
    admit(cache, file, [0, 1, 2], 16, blocks);
    cache.read(file, 0, 16, blocks); // 0 is now newer than 1 and 2
    admit(cache, file, [3], 16, blocks); // evicts 1
    assert.deepEqual(blocks.reads, [0, 0, 1, 1, 2, 2, 3, 3]);
    assert.equal(cache.read(file, 0, 16, blocks)[0], 0);
    assert.equal(cache.read(file, 2, 16, blocks)[0], 2);
    assert.deepEqual(blocks.reads, [0, 0, 1, 1, 2, 2, 3, 3], '0 and 2 stayed');
    assert.equal(cache.read(file, 1, 16, blocks)[0], 1);
    assert.equal(blocks.reads.length, 9, '1 was read again');
    assert.deepEqual(cache.stats(), { bytes: 48, budget: 48, blocks: 3, hits: 3, misses: 9 });
  });

  it('lets peek read and update a cached block without refreshing it', () => {
    const cache = new BlockCache(2 * 8);
    const file = cache.register();
    const blocks = source();
    admit(cache, file, [0, 1], 8, blocks);
    cache.peek(file, 0)?.fill(9);
    assert.equal(cache.read(file, 0, 8, blocks)[0], 9, 'a hit returns the updated bytes');
    assert.equal(cache.peek(file, 5), undefined);
    admit(cache, file, [2], 8, blocks); // 1 is the oldest now: the read of 0 refreshed 0
    assert.equal(cache.peek(file, 1), undefined);
    assert.equal(cache.peek(file, 0)?.[0], 9);
    assert.equal(cache.stats().hits, 1);
  });

  it('keeps files apart, counts each one, and drops a file whole', () => {
    const cache = new BlockCache(1024);
    const [a, b] = [cache.register(), cache.register()];
    const blocks = source();
    admit(cache, a, [7], 100, blocks);
    admit(cache, b, [7, 8], 100, blocks);
    assert.deepEqual([cache.bytesOf(a), cache.bytesOf(b)], [100, 200]);
    cache.drop(b);
    assert.deepEqual([cache.bytesOf(a), cache.bytesOf(b), cache.stats().bytes], [100, 0, 100]);
    assert.equal(cache.stats().blocks, 1);
  });

  it('never caches a block larger than the whole budget', () => {
    const cache = new BlockCache(10);
    const file = cache.register();
    const blocks = source();
    assert.equal(cache.read(file, 4, 64, blocks)[63], 4);
    assert.equal(cache.read(file, 4, 64, blocks)[0], 4);
    assert.equal(cache.read(file, 4, 64, blocks)[0], 4);
    assert.deepEqual(blocks.reads, [4, 4, 4]);
    assert.equal(cache.stats().bytes, 0);
  });
});
