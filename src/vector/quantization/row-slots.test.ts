import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RowSlots } from './row-slots.js';

const noGrow = (): void => undefined;

describe('RowSlots', () => {
  it('finds dense and sparse ids alike, and reuses a freed row', () => {
    const slots = new RowSlots(4);
    // Dense ids, then ones the table does not take: huge, far apart, fractional. (Ids are never
    // negative: idAt reads a negative one as a free row.)
    const ids = [0, 1, 2, 5000, 2 ** 40, 123_456_789, 0.5, 7];
    const rows = ids.map((id) => slots.claim(id, noGrow));
    assert.deepEqual(rows, [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(slots.size, ids.length);
    ids.forEach((id, row) => {
      assert.equal(slots.rowOf(id), row, `row of ${id}`);
      assert.equal(slots.idAt(row), id);
    });
    assert.equal(slots.claim(2 ** 40, noGrow), 4, 'an id already held keeps its row');
    assert.equal(slots.size, ids.length);

    assert.equal(slots.release(2 ** 40), true);
    assert.equal(slots.release(1), true);
    assert.equal(slots.release(1), false, 'released twice');
    assert.equal(slots.release(99), false, 'never held');
    assert.equal(slots.has(2 ** 40), false);
    assert.equal(slots.rowOf(1), undefined);
    assert.equal(slots.size, ids.length - 2);
    // Freed rows go to the next new ids, the last freed first.
    assert.equal(slots.claim(40, noGrow), 1);
    assert.equal(slots.claim(2 ** 41, noGrow), 4);
    assert.equal(slots.used, 8);
  });

  it('grows the dense table with the ids it holds, and tells the store the new capacity', () => {
    const slots = new RowSlots(2);
    const capacities: number[] = [];
    for (let id = 0; id < 5000; id++) {
      slots.claim(id, (capacity) => {
        capacities.push(capacity);
      });
    }
    assert.equal(slots.size, 5000);
    assert.equal(slots.rowOf(4999), 4999);
    assert.equal(capacities[0], 3);
    assert.ok(slots.capacity >= 5000);
    // An id far past the table goes to the map, and an id below it later still resolves.
    assert.equal(slots.claim(10 ** 9, noGrow), 5000);
    assert.equal(slots.rowOf(10 ** 9), 5000);
    slots.clear();
    assert.equal(slots.size, 0);
    assert.equal(slots.rowOf(10), undefined);
    assert.equal(slots.rowOf(10 ** 9), undefined);
    assert.equal(slots.claim(10, noGrow), 0);
  });

  it('lists the rows as slots for allow masks', () => {
    const slots = new RowSlots(4);
    for (const id of [3, 2 ** 35, 9]) slots.claim(id, noGrow);
    slots.release(3);
    const space = slots.slots();
    assert.equal(space.slots, 3);
    assert.deepEqual([space.slotOf(2 ** 35), space.slotOf(9), space.slotOf(3)], [1, 2, undefined]);
    assert.deepEqual(
      [0, 1, 2].map((row) => space.idAt(row)),
      [undefined, 2 ** 35, 9],
    );
  });
});
