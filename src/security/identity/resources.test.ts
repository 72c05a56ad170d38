import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesPattern } from './resources.js';

describe('matchesPattern', () => {
  const table: [string, string, boolean][] = [
    ['*', 'collection:x', true],
    ['*', '', true],
    ['collection:*', 'collection:x', true],
    ['collection:*', 'model:x', false],
    ['collection:orders-*', 'collection:orders-1', true],
    ['collection:orders-*', 'collection:orders', false],
    ['collection:orders', 'collection:orders', true],
    ['collection:orders', 'collection:orders2', false],
    ['*:staging-*', 'model:staging-a', true],
    ['*:staging-*', 'model:prod-staging-a', false],
    ['*-*-*', 'a-b-c', true],
    ['*-*-*', 'a-b', false],
    ['a*b*c', 'aXbYbZc', true],
    ['a*b*c', 'aXbYbZ', false],
    ['**', 'anything', true],
  ];
  for (const [pattern, value, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${value}`, () => {
      assert.equal(matchesPattern(pattern, value), expected);
    });
  }

  it('stays fast on patterns that make a backtracking regex explode', () => {
    const started = performance.now();
    assert.equal(matchesPattern(`${'*a'.repeat(30)}b`, 'a'.repeat(5000)), false);
    assert.ok(performance.now() - started < 1000);
  });
});
