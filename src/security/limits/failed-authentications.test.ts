import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StrataError } from '../../kernel/index.js';
import { FailedAuthentications, peerAddress } from './failed-authentications.js';
import { MemoryRateLimiter } from './memory-rate-limiter.js';

/** Failures counted in memory on a clock the test moves (ms). */
function counter(burst: number, ratePerSecond: number) {
  let now = 1_000;
  const limiter = new MemoryRateLimiter({ now: () => now });
  const failures = new FailedAuthentications(
    (key, rule) => limiter.takeNow(key, rule),
    { ratePerSecond, burst },
    () => now,
  );
  return {
    failures,
    advance: (ms: number): void => {
      now += ms;
    },
  };
}

function refusal(failures: FailedAuthentications, address: string): StrataError {
  try {
    failures.check(address);
  } catch (error) {
    assert.ok(error instanceof StrataError);
    return error;
  }
  assert.fail(`${address} was not refused`);
}

describe('FailedAuthentications', () => {
  it('lets an address fail its burst, then refuses it until a token is back', async () => {
    const { failures, advance } = counter(3, 1);
    for (let i = 0; i < 3; i++) {
      failures.check('203.0.113.7');
      assert.equal(await failures.failed('203.0.113.7'), false, `failure ${i + 1} is within the burst`);
    }
    failures.check('203.0.113.7');
    assert.equal(await failures.failed('203.0.113.7'), true, 'the fourth failure finds the bucket empty');
    const refused = refusal(failures, '203.0.113.7');
    assert.equal(refused.code, 'RATE_LIMITED');
    const details = refused.details ?? {};
    assert.equal(details['reason'], 'failed-authentications');
    assert.ok(Math.abs(Number(details['retryAfterSeconds']) - 1) < 1e-6);
    assert.match(refused.message, /203\.0\.113\.7.*1 s/);

    failures.check('203.0.113.8');
    advance(999);
    assert.equal(
      refusal(failures, '203.0.113.7').code,
      'RATE_LIMITED',
      'still refused 1 ms before the token',
    );
    advance(1);
    failures.check('203.0.113.7');
    assert.equal(await failures.failed('203.0.113.7'), false, 'the refilled token pays for one failure');
    assert.equal(await failures.failed('203.0.113.7'), true, 'and only one');
  });

  it('counts each address apart', async () => {
    const { failures } = counter(1, 0.5);
    assert.equal(await failures.failed('198.51.100.1'), false);
    assert.equal(await failures.failed('198.51.100.1'), true);
    refusal(failures, '198.51.100.1');
    failures.check('198.51.100.2');
    assert.equal(await failures.failed('198.51.100.2'), false);
  });
});

describe('peerAddress', () => {
  it("drops the port of a gRPC peer, leaving the address as Node's sockets give it", () => {
    assert.equal(peerAddress('127.0.0.1:50432'), '127.0.0.1');
    assert.equal(peerAddress('::1:50432'), '::1');
    assert.equal(peerAddress('::1:8080'), '::1');
    assert.equal(peerAddress('::ffff:10.0.0.5:443'), '::ffff:10.0.0.5');
    assert.equal(peerAddress('[2001:db8::1]:443'), '2001:db8::1');
    assert.equal(peerAddress('10.1.2.3'), '10.1.2.3');
  });
});
