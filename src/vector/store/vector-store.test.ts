import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../kernel/index.js';
import { BlockCache } from '../quantization/block-cache.js';
import { FileLog, FsBlobStore } from '../storage/index.js';
import { temporaryDirectory } from '../storage/test-support.js';
import { countTurns } from '../../../test/support/event-loop.js';
import { VectorStore } from './vector-store.js';

const directory = temporaryDirectory('vector-store');
const dimension = 8;

async function open(dir: string): Promise<VectorStore> {
  const store = new VectorStore({
    directory: dir,
    logger: createLogger('silent'),
    openLog: (log) => FileLog.open({ directory: log, logger: createLogger('silent'), fsync: 'never' }),
    snapshots: new FsBlobStore(dir),
    snapshotsKept: 2,
    snapshotEveryOperations: 10_000,
    diskCache: new BlockCache(1 << 20),
  });
  await store.start();
  return store;
}

async function withCollection(name: string): Promise<VectorStore> {
  const store = await open(directory());
  await store.createCollection(name, { vectors: { size: dimension, distance: 'Euclid' } });
  return store;
}

function upsertOf(from: number, count: number) {
  return {
    op: 'upsert' as const,
    points: Array.from({ length: count }, (_, i) => ({
      id: from + i,
      vector: Array.from({ length: dimension }, (_, d) => Math.sin(from + i + d)),
      payload: {},
    })),
  };
}

describe('VectorStore: a large upsert', () => {
  it('goes in a build batch at a time, the event loop answering between the batches', async () => {
    const store = await withCollection('large');
    const counter = countTurns();
    /** The point counts a reader saw on the loop's turns while the upsert ran. */
    const seen = new Set<number>();
    const watch = (): void => {
      if (done) return;
      seen.add(store.collection('large').pointCount);
      setImmediate(watch);
    };
    let done = false;
    setImmediate(watch);
    try {
      await store.mutate('large', upsertOf(0, 4096));
    } finally {
      done = true;
      counter.stop();
    }
    assert.equal(store.collection('large').pointCount, 4096);
    const between = [...seen].filter((count) => count > 0 && count < 4096);
    assert.ok(between.length >= 5, `counts seen while it ran: ${[...seen].join(', ')}`);
    for (const count of between) assert.equal(count % 256, 0, `${String(count)} is whole batches`);
    assert.ok(counter.turns() >= 10, `${String(counter.turns())} turns`);
    await store.stop();
  });

  it('is never half in a snapshot: the state waits for the upsert in progress', async () => {
    const store = await withCollection('whole');
    const upserting = store.mutate('whole', upsertOf(0, 2048));
    const points = (): number => store.collection('whole').pointCount;
    while (points() === 0) await new Promise(setImmediate);
    assert.ok(points() < 2048, 'the upsert is in progress');
    /** The collection's points when each chunk of the state was written. */
    const pointsWhileWritten = new Set<number>();
    await store.writeState('whole', () => {
      pointsWhileWritten.add(points());
    });
    assert.deepEqual(pointsWhileWritten, new Set([2048]));
    await upserting;
    await store.stop();
  });

  it('answers the writes after it in order, once it has gone in', async () => {
    const store = await withCollection('order');
    const order: string[] = [];
    await Promise.all([
      store.mutate('order', upsertOf(0, 1024)).then(() => order.push('large')),
      store.mutate('order', upsertOf(5000, 1)).then(() => order.push('small')),
    ]);
    assert.deepEqual(order, ['large', 'small']);
    assert.equal(store.collection('order').pointCount, 1025);
    await store.stop();
  });
});
