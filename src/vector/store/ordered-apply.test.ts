import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderedApply } from './ordered-apply.js';

describe('OrderedApply', () => {
  it('applies in sequence order whatever order items arrive in', async () => {
    const applied: string[] = [];
    const apply = new OrderedApply<string>(0, (item, sequence) =>
      applied.push(`${String(sequence)}:${item}`),
    );
    const third = apply.submit(3, 'c');
    const first = apply.submit(1, 'a');
    assert.deepEqual(applied, ['1:a']);
    await Promise.all([first, apply.submit(2, 'b'), third]);
    assert.deepEqual(applied, ['1:a', '2:b', '3:c']);
  });

  it('applies nothing while paused, then everything in order once the last hold ends', async () => {
    const applied: number[] = [];
    const apply = new OrderedApply<number>(0, (item) => applied.push(item));
    const outer = apply.pause();
    const inner = apply.pause();
    let done = false;
    const submitted = Promise.all([apply.submit(2, 20), apply.submit(1, 10)]).then(() => {
      done = true;
    });
    inner();
    inner(); // a second call of the same resume does not end another hold
    await new Promise(setImmediate);
    assert.deepEqual(applied, []);
    assert.equal(done, false);
    outer();
    assert.deepEqual(applied, [10, 20]);
    await submitted;
    assert.equal(done, true);
  });

  it('fails only the item whose apply throws and goes on with the next', async () => {
    const apply = new OrderedApply<number>(0, (item) => {
      if (item === 1) throw new Error('bad item');
    });
    await assert.rejects(apply.submit(1, 1), /bad item/);
    await apply.submit(2, 2);
  });
});
