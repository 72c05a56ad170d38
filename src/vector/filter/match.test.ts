import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesFilter } from './match.js';
import { parseFilter } from './parse.js';
import type { Payload, PointId } from './types.js';

const matches = (filter: unknown, payload: Payload, id: PointId = 1): boolean =>
  matchesFilter(parseFilter(filter), id, payload);

// Qdrant's own example payload (query_checker.rs, test_condition_checker).
const shop: Payload = {
  price: 499.9,
  amount: 10,
  rating: [3, 7, 9, 9],
  color: 'red',
  has_delivery: true,
  parts: [],
  packaging: null,
  not_null: [null],
  country: {
    name: 'Japan',
    cities: [
      { name: 'Tokyo', sights: ['Tower'] },
      { name: 'Osaka', sights: ['Castle'] },
    ],
  },
};

describe('matchesFilter', () => {
  it('reads is_empty and is_null as Qdrant does', () => {
    assert.equal(matches({ must: { is_empty: { key: 'price' } } }, shop), false);
    assert.equal(matches({ must: { is_empty: { key: 'something_new' } } }, shop), true);
    assert.equal(matches({ must: { is_empty: { key: 'parts' } } }, shop), true);
    assert.equal(matches({ must: { is_empty: { key: 'packaging' } } }, shop), true);
    assert.equal(matches({ must: { is_empty: { key: 'not_null' } } }, shop), false);
    assert.equal(matches({ must: { is_null: { key: 'amount' } } }, shop), false);
    assert.equal(matches({ must: { is_null: { key: 'parts' } } }, shop), false);
    assert.equal(matches({ must: { is_null: { key: 'something_else' } } }, shop), false);
    assert.equal(matches({ must: { is_null: { key: 'packaging' } } }, shop), true);
    assert.equal(matches({ must: { is_null: { key: 'not_null' } } }, shop), false);
  });

  it('matches a value, any, except and text, element-wise in arrays', () => {
    assert.equal(matches({ must: { key: 'color', match: { value: 'red' } } }, shop), true);
    assert.equal(matches({ must: { key: 'color', match: { value: 'blue' } } }, shop), false);
    assert.equal(matches({ must: { key: 'rating', match: { value: 7 } } }, shop), true);
    assert.equal(matches({ must: { key: 'has_delivery', match: { value: true } } }, shop), true);
    assert.equal(matches({ must: { key: 'amount', match: { value: '10' } } }, shop), false);
    assert.equal(matches({ must: { key: 'price', match: { value: 499 } } }, shop), false);
    assert.equal(matches({ must: { key: 'rating', match: { any: [1, 9] } } }, shop), true);
    assert.equal(matches({ must: { key: 'color', match: { any: [] } } }, shop), false);
    assert.equal(matches({ must: { key: 'color', match: { except: ['blue'] } } }, shop), true);
    assert.equal(matches({ must: { key: 'color', match: { except: ['red'] } } }, shop), false);
    // One element outside the list is enough, as with every array condition.
    assert.equal(matches({ must: { key: 'rating', match: { except: [3, 7] } } }, shop), true);
    assert.equal(matches({ must: { key: 'rating', match: { except: [3, 7, 9] } } }, shop), false);
    // except never matches a missing field or null, and matches values of another type.
    assert.equal(matches({ must: { key: 'nothing', match: { except: ['x'] } } }, shop), false);
    assert.equal(matches({ must: { key: 'packaging', match: { except: ['x'] } } }, shop), false);
    assert.equal(matches({ must: { key: 'amount', match: { except: ['x'] } } }, shop), true);
    assert.equal(matches({ must: { key: 'color', match: { text: 'ed' } } }, shop), true);
    assert.equal(matches({ must: { key: 'color', match: { text_any: 'blue re' } } }, shop), true);
  });

  it('checks ranges on numbers only, on any element', () => {
    assert.equal(matches({ must: { key: 'price', range: { gte: 400, lt: 500 } } }, shop), true);
    assert.equal(matches({ must: { key: 'price', range: { gt: 499.9 } } }, shop), false);
    assert.equal(matches({ must: { key: 'rating', range: { lte: 3 } } }, shop), true);
    assert.equal(matches({ must: { key: 'color', range: {} } }, shop), false);
    // Qdrant's "must_not with bad rating": rating holds 3 <= 5, so the point is excluded.
    assert.equal(matches({ must_not: { key: 'rating', range: { lte: 5 } } }, shop), false);
  });

  it('follows dotted keys into objects and [] into arrays, as Qdrant paths do', () => {
    assert.equal(matches({ must: { key: 'country.name', match: { value: 'Japan' } } }, shop), true);
    assert.equal(matches({ must: { key: 'country.cities[].name', match: { value: 'Osaka' } } }, shop), true);
    assert.equal(
      matches({ must: { key: 'country.cities[1].name', match: { value: 'Tokyo' } } }, shop),
      false,
    );
    assert.equal(
      matches({ must: { key: 'country.cities[].sights', match: { value: 'Castle' } } }, shop),
      true,
    );
    // Without [] a key does not descend into an array.
    assert.equal(matches({ must: { key: 'country.cities.name', match: { value: 'Osaka' } } }, shop), false);
    assert.equal(matches({ must: { key: '"a.b"', match: { value: 1 } } }, { 'a.b': 1 }), true);
    assert.equal(matches({ must: { key: 'a.b', match: { value: 1 } } }, { 'a.b': 1 }), false);
  });

  it('requires one array element to satisfy a whole nested filter', () => {
    const diet = {
      diet: [
        { food: 'meat', likes: false },
        { food: 'meat', likes: true },
      ],
    };
    const both = {
      must: [
        { key: 'diet[].food', match: { value: 'meat' } },
        { key: 'diet[].likes', match: { value: true } },
      ],
    };
    const nested = { must: { nested: { key: 'diet', filter: both } } };
    const strict = {
      must: {
        nested: {
          key: 'diet',
          filter: {
            must: [
              { key: 'food', match: { value: 'meat' } },
              { key: 'likes', match: { value: false } },
            ],
          },
        },
      },
    };
    assert.equal(matches(both, diet), true);
    assert.equal(matches(nested, diet), false);
    assert.equal(matches(strict, diet), true);
    assert.equal(
      matches(strict, {
        diet: [
          { food: 'meat', likes: true },
          { food: 'veg', likes: false },
        ],
      }),
      false,
    );
  });

  it('combines clauses: must_not on a missing field passes, empty should fails', () => {
    assert.equal(matches({ must_not: { key: 'missing', match: { value: 1 } } }, shop), true);
    assert.equal(matches({}, shop), true);
    assert.equal(matches({ must: [] }, shop), true);
    assert.equal(matches({ should: [] }, shop), false);
    assert.equal(matches({ must_not: [] }, shop), true);
    const red = { key: 'color', match: { value: 'red' } };
    const blue = { key: 'color', match: { value: 'blue' } };
    assert.equal(matches({ should: [red, blue], must: { key: 'amount', range: { gt: 5 } } }, shop), true);
    assert.equal(matches({ should: [{ must: [blue] }, { must: [red], must_not: [blue] }] }, shop), true);
    assert.equal(matches({ min_should: { conditions: [red, blue], min_count: 2 } }, shop), false);
    assert.equal(
      matches({ min_should: { conditions: [red, blue, { has_id: [1] }], min_count: 2 } }, shop),
      true,
    );
    assert.equal(matches({ min_should: { conditions: [], min_count: 1 } }, shop), false);
    assert.equal(matches({ min_should: { conditions: [], min_count: 0 } }, shop), true);
  });

  it('selects ids with has_id, UUIDs in any spelling', () => {
    const uuid = '936da01f-9abd-4d9d-80c7-02af85c822a8';
    assert.equal(matches({ must: { has_id: [1, 2, 3] } }, {}, 2), true);
    assert.equal(matches({ must_not: { has_id: [1, 2, 3] } }, {}, 10), true);
    assert.equal(matches({ must: { has_id: ['936DA01F9ABD4D9D80C702AF85C822A8'] } }, {}, uuid), true);
    assert.equal(matches({ must: { has_id: [uuid] } }, {}, 936), false);
    // Nested objects have no ids.
    const nested = { must: { nested: { key: 'a', filter: { must: { has_id: [1] } } } } };
    assert.equal(matches(nested, { a: [{}] }, 1), false);
  });
});
