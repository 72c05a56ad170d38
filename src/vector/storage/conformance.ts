// The behaviour every OperationLog shares (STYLE.md §4), run against each implementation by
// operation-log.test.ts; a JetStream-backed log will run it too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import type { OperationLog } from './operation-log.js';

/** Creates an empty log; `reopen` opens the same log again, after `close`, for durable backends. */
export interface LogFactory {
  create(): Promise<OperationLog>;
  reopen?: (() => Promise<OperationLog>) | undefined;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (entry: Uint8Array) => new TextDecoder().decode(entry);

async function collect(log: OperationLog, after: number): Promise<[number, string][]> {
  const seen: [number, string][] = [];
  await log.replay(after, (sequence, entry) => seen.push([sequence, text(entry)]));
  return seen;
}

export function operationLogConformance(name: string, factory: LogFactory): void {
  describe(`OperationLog conformance: ${name}`, () => {
    it('numbers entries contiguously from 1 in call order, also for concurrent appends', async () => {
      const log = await factory.create();
      assert.equal(log.lastSequence, 0);
      assert.equal(log.firstSequence, 1);
      const sequences = await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(bytes(`e${i}`))));
      assert.deepEqual(
        sequences,
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal(log.lastSequence, 50);
      const seen = await collect(log, 0);
      assert.deepEqual(
        seen,
        sequences.map((s) => [s, `e${s - 1}`]),
      );
      await log.close();
    });

    it('replays only the entries after the given sequence', async () => {
      const log = await factory.create();
      for (let i = 1; i <= 10; i++) await log.append(bytes(`e${i}`));
      assert.deepEqual(
        (await collect(log, 7)).map(([s]) => s),
        [8, 9, 10],
      );
      assert.deepEqual(await log.replay(10, () => assert.fail('nothing to replay')), {
        entries: 0,
        lastSequence: 10,
      });
      await log.close();
    });

    it('keeps entries a replay needs after truncation, and refuses a replay from before it', async () => {
      const log = await factory.create();
      for (let i = 1; i <= 20; i++) await log.append(bytes(`e${i}`));
      await log.truncateThrough(12);
      assert.ok(log.firstSequence <= 13);
      assert.deepEqual(
        (await collect(log, 12)).map(([s]) => s),
        [13, 14, 15, 16, 17, 18, 19, 20],
      );
      if (log.firstSequence > 1) {
        await assert.rejects(collect(log, 0), (e) => isStrataError(e) && e.code === 'INTERNAL');
      }
      assert.equal(await log.append(bytes('next')), 21);
      await log.close();
    });

    it('moves forward when truncated past its end, so sequences are never reused', async () => {
      const log = await factory.create();
      await log.append(bytes('a'));
      await log.truncateThrough(100);
      assert.equal(log.lastSequence, 100);
      assert.equal(log.firstSequence, 101);
      assert.equal(await log.append(bytes('b')), 101);
      assert.deepEqual(await collect(log, 100), [[101, 'b']]);
      await log.close();
    });

    it('refuses appends once closed', async () => {
      const log = await factory.create();
      await log.close();
      await assert.rejects(log.append(bytes('late')), isStrataError);
    });

    const { reopen } = factory;
    if (reopen !== undefined) {
      it('holds every acknowledged entry after close and reopen, and continues the numbering', async () => {
        const log = await factory.create();
        await Promise.all(Array.from({ length: 30 }, (_, i) => log.append(bytes(`e${i + 1}`))));
        await log.truncateThrough(5);
        await log.close();
        const again = await reopen();
        assert.equal(again.lastSequence, 30);
        const seen = await collect(again, 5);
        assert.deepEqual(
          seen,
          Array.from({ length: 25 }, (_, i) => [i + 6, `e${i + 6}`]),
        );
        assert.equal(await again.append(bytes('e31')), 31);
        await again.close();
      });
    }
  });
}
