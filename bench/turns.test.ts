import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadResult } from './closed-loop.js';
import { pairedRatio, summarize, takeTurns, turnOrder } from './turns.js';

/** A pass of `requests` requests over `seconds`, every latency `ms`. */
function pass(requests: number, seconds: number, ms: number): LoadResult {
  return {
    requests,
    seconds,
    latencies: new Float64Array(requests).fill(ms),
    ownCores: 1,
    machineCores: 2,
  };
}

describe('turnOrder', () => {
  it('rotates by one each turn, so every side goes first equally often', () => {
    assert.deepEqual(turnOrder(2, 0), [0, 1]);
    assert.deepEqual(turnOrder(2, 1), [1, 0]);
    assert.deepEqual(
      [0, 1, 2, 3].map((turn) => turnOrder(3, turn)),
      [
        [0, 1, 2],
        [1, 2, 0],
        [2, 0, 1],
        [0, 1, 2],
      ],
    );
  });
});

describe('takeTurns', () => {
  it("runs the sides in rotating order and merges each side's blocks, with its server's CPU per request", async () => {
    const ran: string[] = [];
    let cpu = 0;
    const side = (name: string, requests: number, cpuPerBlock: number) => ({
      load: async (concurrency: number, seconds: number) => {
        ran.push(`${name}×${concurrency}`);
        cpu += cpuPerBlock;
        return pass(requests, seconds, requests);
      },
      serverCpu: () => cpu,
    });
    const turns = await takeTurns([side('a', 10, 0.001), side('b', 40, 0.002)], 8, 3, 0.5, 1);
    assert.deepEqual(ran, ['b×8', 'a×8', 'a×8', 'b×8', 'b×8', 'a×8']);
    const [a, b] = turns;
    assert.ok(a !== undefined && b !== undefined && turns.length === 2);
    assert.equal(a.result.requests, 30);
    assert.equal(a.result.seconds, 1.5);
    assert.equal(b.result.requests, 120);
    // 3 blocks × 1 ms of CPU over 30 requests, and 3 × 2 ms over 120.
    assert.ok(Math.abs(a.serverCpuPerRequest - 100) < 1e-6);
    assert.ok(Math.abs(b.serverCpuPerRequest - 50) < 1e-6);
  });
});

describe('summarize', () => {
  it('takes the median round of each figure', () => {
    const s = summarize([pass(100, 1, 3), pass(300, 1, 1), pass(200, 1, 2)]);
    assert.equal(s.rps, 200);
    assert.equal(s.p50, 2);
    assert.equal(s.p99, 2);
    assert.equal(s.perRound, '100 / 300 / 200');
  });
});

describe('pairedRatio', () => {
  it("compares the sides round by round, not one side's median round with the other's", () => {
    // Both sides drift together; the side is 2× the base in every round.
    const base = [pass(100, 1, 1), pass(400, 1, 1), pass(250, 1, 1)];
    const side = [pass(200, 1, 1), pass(800, 1, 1), pass(500, 1, 1)];
    assert.equal(pairedRatio(side, base), 2);
    assert.ok(Number.isNaN(pairedRatio(side, [])));
  });
});
