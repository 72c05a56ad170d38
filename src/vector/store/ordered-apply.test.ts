import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrderedApply } from './ordered-apply.js';

describe('OrderedApply', () => {
  it('applies in sequence order whatever order items arrive in', async () => {
    const applied: string[] = [];
    const apply = new OrderedApply<string>(0, (item, sequence) => {
      applied.push(`${String(sequence)}:${item}`);
    });
    const third = apply.submit(3, 'c');
    const first = apply.submit(1, 'a');
    assert.deepEqual(applied, ['1:a']);
    await Promise.all([first, apply.submit(2, 'b'), third]);
    assert.deepEqual(applied, ['1:a', '2:b', '3:c']);
  });

  it('applies nothing while paused, then everything in order once the last hold ends', async () => {
    const applied: number[] = [];
    const apply = new OrderedApply<number>(0, (item) => {
      applied.push(item);
    });
    const outer = await apply.pause();
    const inner = await apply.pause();
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

  describe('an apply that takes turns (returns a promise)', () => {
    /** Applies in two steps with a turn between them, logging `<item>…` and `…<item>`. */
    function turnTaking(log: string[], fail?: number): OrderedApply<number> {
      return new OrderedApply<number>(0, async (item) => {
        log.push(`${String(item)}…`);
        await new Promise(setImmediate);
        if (item === fail) throw new Error('bad item');
        log.push(`…${String(item)}`);
      });
    }

    it('starts the next item only once the previous one has ended', async () => {
      const log: string[] = [];
      const apply = turnTaking(log);
      await Promise.all([apply.submit(2, 2), apply.submit(1, 1), apply.submit(3, 3)]);
      assert.deepEqual(log, ['1…', '…1', '2…', '…2', '3…', '…3']);
    });

    it('pauses once the apply in progress has ended, so the state is never read half applied', async () => {
      const log: string[] = [];
      const apply = turnTaking(log);
      const first = apply.submit(1, 1);
      const second = apply.submit(2, 2);
      assert.deepEqual(log, ['1…']);
      const resume = await apply.pause();
      assert.deepEqual(log, ['1…', '…1'], 'the first apply ended, the second did not start');
      await first;
      await new Promise(setImmediate);
      assert.deepEqual(log, ['1…', '…1']);
      resume();
      await second;
      assert.deepEqual(log, ['1…', '…1', '2…', '…2']);
    });

    it('fails only the item whose apply rejects, and idle() waits for the rest', async () => {
      const log: string[] = [];
      const apply = turnTaking(log, 1);
      const failed = assert.rejects(apply.submit(1, 1), /bad item/);
      const second = apply.submit(2, 2);
      await apply.idle();
      assert.deepEqual(log, ['1…', '2…', '…2']);
      await failed;
      await second;
    });
  });
});
