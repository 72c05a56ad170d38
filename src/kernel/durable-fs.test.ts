import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { countTurns } from '../../test/support/event-loop.js';
import { stageFile, writeChunks } from './durable-fs.js';

let dir: string;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'strata-durable-fs-'));
});

after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** 64 KiB chunks numbered 0..count-1, all from one buffer filled again for each. */
function* numberedChunks(count: number): Generator<Uint8Array> {
  const buffer = new Uint8Array(64 << 10);
  for (let i = 0; i < count; i++) {
    buffer.fill(i);
    yield buffer;
  }
}

describe('writeChunks', () => {
  it('writes every chunk before taking the next, giving the event loop a turn about every MiB', async () => {
    const counter = countTurns();
    const firstBytes: number[] = [];
    const turnsAt: number[] = [];
    try {
      await writeChunks(numberedChunks(64), (chunk) => {
        firstBytes.push(chunk[0] ?? -1);
        turnsAt.push(counter.turns());
      });
    } finally {
      counter.stop();
    }
    assert.deepEqual(
      firstBytes,
      Array.from({ length: 64 }, (_, i) => i),
    );
    // 4 MiB in 64 KiB chunks: a turn after every 16 of them.
    assert.ok((turnsAt.at(-1) ?? 0) - (turnsAt[0] ?? 0) >= 3, `turns: ${turnsAt.join(',')}`);
    assert.equal(turnsAt[15], turnsAt[0], 'no turn within the first MiB');
  });
});

describe('stageFile', () => {
  it('stages what an asynchronous body writes, and commit puts it in place', async () => {
    const path = join(dir, 'async.bin');
    const staged = await stageFile(path, (write) => writeChunks(numberedChunks(20), write));
    assert.equal(staged.size, 20 * (64 << 10));
    await staged.commit();
    const bytes = await readFile(path);
    assert.equal(bytes.length, 20 * (64 << 10));
    assert.equal(bytes[19 * (64 << 10)], 19);
  });

  it('leaves no temp file and the old file as it was when an asynchronous body fails', async () => {
    const path = join(dir, 'kept.bin');
    await writeFile(path, 'old');
    await assert.rejects(
      stageFile(path, async (write) => {
        await writeChunks(numberedChunks(40), write);
        throw new Error('the state could not be read');
      }),
      /could not be read/,
    );
    assert.equal(await readFile(path, 'utf8'), 'old');
    assert.deepEqual(
      (await readdir(dir)).filter((name) => name.startsWith('.kept.bin')),
      [],
    );
  });
});
