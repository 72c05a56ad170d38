import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { parseFilter } from './parse.js';

describe('parseFilter', () => {
  it('accepts every documented form', () => {
    const forms: unknown[] = [
      {},
      { must: [] },
      { must: null },
      { must: { key: 'city', match: { value: 'London' } } },
      {
        must: [
          { key: 'count', match: { value: 0 } },
          { key: 'ok', match: { value: true } },
        ],
      },
      { should: [{ key: 'color', match: { any: ['red', 'blue'] } }] },
      { must_not: [{ key: 'n', match: { except: [1, 2, 3] } }] },
      { must: [{ key: 'description', match: { text: 'good cheap' } }] },
      { must: [{ key: 'description', match: { text_any: 'good cheap' } }] },
      { must: [{ key: 'description', match: { phrase: 'good cheap' } }] },
      { must: [{ key: 'price', range: { gt: 1, gte: null, lt: 2.5, lte: 3 } }] },
      { must: [{ key: 'price', range: {} }] },
      { must: [{ is_empty: { key: 'reports' } }] },
      { must: [{ is_null: { key: 'reports' } }] },
      {
        must: [
          { has_id: [1, 3, '936DA01F-9ABD-4D9D-80C7-02AF85C822A8', '936da01f9abd4d9d80c702af85c822a8'] },
        ],
      },
      { must: [{ key: 'country.cities[].sightseeing', match: { value: 'Osaka Castle' } }] },
      { must: [{ key: 'a[0]."b.c"[]', match: { value: 1 } }] },
      { must: [{ nested: { key: 'diet', filter: { must: [{ key: 'food', match: { value: 'meat' } }] } } }] },
      {
        should: [{ must: [{ key: 'a', match: { value: 1 } }] }, { must_not: { key: 'b', range: { lt: 0 } } }],
      },
      { min_should: { conditions: [{ key: 'a', match: { value: 1 } }, { has_id: [2] }], min_count: 1 } },
    ];
    for (const form of forms) assert.doesNotThrow(() => parseFilter(form), JSON.stringify(form));
  });

  it('normalises clauses, keys and ids', () => {
    const filter = parseFilter({
      must: { key: 'a[].b', match: { any: [] } },
      should: [{ has_id: ['936DA01F9ABD4D9D80C702AF85C822A8', 7] }],
    });
    assert.equal(filter.must?.length, 1);
    const c = filter.should?.[0];
    assert.ok(c?.kind === 'has_id');
    assert.deepEqual([...c.ids], ['936da01f-9abd-4d9d-80c7-02af85c822a8', 7]);
    assert.equal(filter.mustNot, undefined);
  });

  // Each bad filter with the start of the message it must raise: the JSON path, then the reason.
  const bad: [unknown, string][] = [
    [null, 'filter: must be an object'],
    [[], 'filter: must be an object'],
    ['must', 'filter: must be an object'],
    [{ must: [{ key: 'a' }] }, 'filter.must[0]: a field condition needs exactly one of match or range'],
    [{ must: [1] }, 'filter.must[0]: must be a condition object'],
    [
      {
        must: [
          { key: 'a', match: { value: 1 } },
          { key: 'p', range: { gte: '3' } },
        ],
      },
      'filter.must[1].range.gte: must be a number',
    ],
    [{ must: { key: 'p', range: { gt: Number.NaN } } }, 'filter.must.range.gt: must be a number'],
    [{ must: { key: 'p', range: { above: 1 } } }, 'filter.must.range.above: unknown field'],
    [
      { must: { key: 'a', match: { value: 1.5 } } },
      'filter.must.match.value: must be a string, an integer or a boolean',
    ],
    [
      { must: { key: 'a', match: { value: null } } },
      'filter.must.match.value: must be a string, an integer or a boolean',
    ],
    [{ must: { key: 'a', match: { value: 1, any: [1] } } }, 'filter.must.match: must have exactly one of'],
    [{ must: { key: 'a', match: {} } }, 'filter.must.match: must have exactly one of'],
    [{ must: { key: 'a', match: { equals: 1 } } }, 'filter.must.match.equals: unknown field'],
    [{ must: { key: 'a', match: { any: 'red' } } }, 'filter.must.match.any: must be an array'],
    [
      { must: { key: 'a', match: { any: ['red', 1] } } },
      'filter.must.match.any[1]: must be a string like the first value',
    ],
    [{ must: { key: 'a', match: { except: [1, 2.5] } } }, 'filter.must.match.except[1]: must be an integer'],
    [{ must: { key: 'a', match: { any: [true] } } }, 'filter.must.match.any[0]: must be an integer'],
    [{ must: { key: 'a', match: { text: 3 } } }, 'filter.must.match.text: must be a string'],
    [
      { must: { key: 'a', match: { value: 1 }, range: { gt: 1 } } },
      'filter.must: a field condition needs exactly one',
    ],
    [{ must: { key: 5, match: { value: 1 } } }, 'filter.must.key: must be a string'],
    [{ must: { key: '', match: { value: 1 } } }, 'filter.must.key: "" is not a key'],
    [{ must: { key: 'a..b', match: { value: 1 } } }, 'filter.must.key: "a..b" is not a key'],
    [{ must: { key: 'a[x]', match: { value: 1 } } }, 'filter.must.key: "a[x]" is not a key'],
    [{ must: { key: 'a', geo_radius: {} } }, 'filter.must.geo_radius: is not supported yet'],
    [{ should: [{ is_empty: { field: 'a' } }] }, 'filter.should[0].is_empty.field: unknown field'],
    [{ should: [{ is_null: 'a' }] }, 'filter.should[0].is_null: must be an object'],
    [{ must_not: [{ has_id: 3 }] }, 'filter.must_not[0].has_id: must be an array'],
    [
      { must_not: [{ has_id: [1, -2] }] },
      'filter.must_not[0].has_id[1]: must be an unsigned integer or a UUID',
    ],
    [
      { must_not: [{ has_id: ['not-a-uuid'] }] },
      'filter.must_not[0].has_id[0]: must be an unsigned integer or a UUID',
    ],
    [
      { must: [{ nested: { key: 'a', filter: { must: [{ key: 'b' }] } } }] },
      'filter.must[0].nested.filter.must[0]: a field',
    ],
    [{ must: [{ nested: { filter: {} } }] }, 'filter.must[0].nested.key: must be a string'],
    [
      { must: [{ must: [{ should: [{ key: 'x', range: { lt: 'z' } }] }] }] },
      'filter.must[0].must[0].should[0].range.lt: must be a number',
    ],
    [{ must: [{ wat: 1 }] }, 'filter.must[0].wat: unknown condition'],
    [{ filter: {} }, 'filter.filter: unknown field'],
    [
      { min_should: { conditions: [], min_count: -1 } },
      'filter.min_should.min_count: must be an unsigned integer',
    ],
    [{ min_should: { min_count: 1 } }, 'filter.min_should.conditions: is required'],
  ];
  for (const [json, message] of bad) {
    it(`rejects ${JSON.stringify(json)}`, () => {
      assert.throws(
        () => parseFilter(json),
        (e: unknown) =>
          isStrataError(e) &&
          e.code === 'INVALID_ARGUMENT' &&
          e.message.startsWith(message) &&
          !e.message.includes('undefined'),
      );
    });
  }
});
