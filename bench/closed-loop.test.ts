import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { closedLoop, median, mergePasses, percentile } from './closed-loop.js';

describe('closedLoop', () => {
  it('keeps exactly `concurrency` requests in flight and times every one', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: number[] = [];
    const result = await closedLoop(
      async (i) => {
        seen.push(i);
        most = Math.max(most, ++inFlight);
        await sleep(5);
        inFlight--;
      },
      4,
      0.05,
    );
    assert.equal(most, 4);
    assert.equal(result.requests, seen.length);
    assert.deepEqual(
      [...seen].sort((a, b) => a - b),
      seen.map((_, i) => i),
    );
    // Node's timers may fire up to a millisecond early by performance.now().
    assert.ok(result.latencies.every((ms) => ms >= 3));
    assert.ok(result.latencies.every((ms, i, all) => i === 0 || (all[i - 1] ?? 0) <= ms));
    assert.ok(result.seconds >= 0.05);
  });
});

describe('closedLoop with a pause', () => {
  it('leaves the idle time between requests out of their latency', async () => {
    const result = await closedLoop(async () => undefined, 1, 0.05, 5);
    assert.ok(result.requests >= 2 && result.requests <= 12, String(result.requests));
    assert.ok(result.latencies.every((ms) => ms < 4));
  });
});

describe('percentile and median', () => {
  it('use the nearest rank, so every figure is a measured value', () => {
    const values = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(values, 0.5), 50);
    assert.equal(percentile(values, 0.99), 99);
    assert.equal(percentile(values, 1), 100);
    assert.equal(percentile([7], 0.99), 7);
    assert.ok(Number.isNaN(percentile([], 0.5)));
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2);
  });
});

describe('mergePasses', () => {
  it("pools latencies in order and weights CPU by each pass's time", () => {
    const merged = mergePasses([
      { requests: 2, seconds: 1, latencies: Float64Array.from([1, 4]), ownCores: 1, machineCores: 2 },
      { requests: 1, seconds: 3, latencies: Float64Array.from([2]), ownCores: 0.2, machineCores: 1 },
    ]);
    assert.equal(merged.requests, 3);
    assert.equal(merged.seconds, 4);
    assert.deepEqual([...merged.latencies], [1, 2, 4]);
    assert.ok(Math.abs(merged.ownCores - 0.4) < 1e-9);
    assert.ok(Math.abs(merged.machineCores - 1.25) < 1e-9);
  });
});
