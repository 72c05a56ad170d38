import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { mulberry32 } from '../random.js';
import { indexedCandidates } from './candidates.js';
import { matchesFilter } from './match.js';
import { parseFilter } from './parse.js';
import { PayloadIndexes } from './payload-indexes.js';
import { estimateMatches, type FilterSource } from './planner.js';
import type { Payload } from './types.js';

const random = mulberry32(7);
const payloads: Payload[] = Array.from({ length: 2000 }, (_, i) => ({
  n: Math.floor(random() * 50),
  f: random() * 10,
  tag: [`t${Math.floor(random() * 5)}`, `u${i % 3}`],
  ok: random() < 0.3,
  meta: { level: i % 7 },
}));
const source: FilterSource & { size: number } = {
  size: payloads.length,
  internalIds: () => payloads.keys(),
  point: (i) => (payloads[i] === undefined ? undefined : { id: i, payload: payloads[i] }),
  internalOf: (id) => (typeof id === 'number' && id < payloads.length ? id : undefined),
};

function indexed(): PayloadIndexes {
  const indexes = new PayloadIndexes();
  indexes.create('n', 'integer', payloads.entries());
  indexes.create('f', 'float', payloads.entries());
  indexes.create('tag', 'keyword', payloads.entries());
  indexes.create('ok', 'bool', payloads.entries());
  indexes.create('"meta".level', 'integer', payloads.entries());
  return indexes;
}

const brute = (json: unknown): number[] => {
  const filter = parseFilter(json);
  return payloads.flatMap((p, i) => (matchesFilter(filter, i, p) ? [i] : []));
};

describe('PayloadIndexes', () => {
  it('reports Qdrant payload_schema and follows inserts and removes', () => {
    const indexes = indexed();
    assert.deepEqual(indexes.schema()['tag'], { data_type: 'keyword', points: 2000 });
    assert.equal(indexes.schema()['"meta".level']?.points, 2000);
    indexes.remove(5, payloads[5] ?? {});
    assert.equal(indexes.schema()['n']?.points, 1999);
    const c = parseFilter({ must: { key: 'n', match: { value: payloads[5]?.['n'] } } }).must?.[0];
    assert.ok(c !== undefined);
    assert.equal(indexes.lookup(c)?.has(5), false);
    indexes.insert(5, payloads[5] ?? {});
    assert.equal(indexes.lookup(c)?.has(5), true);
    assert.equal(indexes.drop('meta.level'), true);
    assert.equal('"meta".level' in indexes.schema(), false);
    const invalid = (e: unknown): boolean => isStrataError(e) && e.code === 'INVALID_ARGUMENT';
    assert.throws(() => {
      indexes.create('x', 'text');
    }, invalid);
    assert.throws(() => {
      indexes.create('a..b', 'keyword');
    }, invalid);
  });

  // Each filter's indexed answer, when exact, must equal the payload check's.
  const filters: unknown[] = [
    { must: { key: 'n', match: { value: 7 } } },
    { must: { key: 'n', match: { any: [1, 2, 3] } } },
    { must: { key: 'n', range: { gte: 10, lt: 20 } } },
    { must: { key: 'f', range: { gt: 2.5, lte: 3.5 } } },
    { must: { key: 'f', match: { value: 3 } } },
    {
      must: [
        { key: 'tag', match: { value: 't1' } },
        { key: 'ok', match: { value: true } },
      ],
    },
    { should: [{ key: 'tag', match: { any: ['u0', 't4'] } }, { has_id: [3, 1999, 5000] }] },
    { must: { key: 'meta.level', range: { lt: 2 } } },
    { must: [{ key: 'n', range: { lt: 25 } }], must_not: { key: 'tag', match: { value: 't0' } } },
    { must: [{ must: { key: 'n', range: { gt: 40 } } }, { key: 'tag', match: { except: ['t2'] } }] },
    { should: [] },
  ];
  for (const json of filters) {
    it(`selects the same points as the payload check: ${JSON.stringify(json)}`, () => {
      const expected = brute(json);
      const got = indexedCandidates(parseFilter(json), indexed(), (id) => source.internalOf(id));
      assert.ok(got.ids !== undefined, 'an indexed condition narrows the candidates');
      if (got.exact)
        assert.deepEqual(
          [...got.ids].sort((a, b) => a - b),
          expected,
        );
      else for (const id of expected) assert.ok(got.ids.has(id), `candidate ${id} missing`);
      const estimate = estimateMatches(parseFilter(json), indexed(), source, 200);
      if (estimate.exact) assert.equal(estimate.count, expected.length);
      else
        assert.ok(
          Math.abs(estimate.count - expected.length) <= 0.1 * payloads.length,
          `estimate ${estimate.count}`,
        );
    });
  }

  it('leaves ranges to payloads while an integer index has skipped fractional numbers', () => {
    const indexes = new PayloadIndexes();
    indexes.create('n', 'integer', [
      [0, { n: 1 }],
      [1, { n: 1.5 }],
    ]);
    const range = parseFilter({ must: { key: 'n', range: { gte: 1 } } }).must?.[0];
    assert.ok(range !== undefined);
    assert.equal(indexes.lookup(range), undefined);
    indexes.remove(1, { n: 1.5 });
    assert.deepEqual([...(indexes.lookup(range) ?? [])], [0]);
  });
});
