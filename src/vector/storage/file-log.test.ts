import assert from 'node:assert/strict';
import { readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { FileLog, type FileLogOptions } from './file-log.js';
import { mulberry32 } from '../random.js';
import { capturingLogger, temporaryDirectory } from './test-support.js';

const nextDirectory = temporaryDirectory('file-log');
const entry = (i: number) => new TextEncoder().encode(`entry ${i} `.repeat((i % 5) + 1));

async function entries(log: FileLog, after = 0): Promise<[number, string][]> {
  const seen: [number, string][] = [];
  await log.replay(after, (s, e) => seen.push([s, new TextDecoder().decode(e)]));
  return seen;
}

async function filled(count: number, options: Partial<FileLogOptions> = {}) {
  const directory = nextDirectory();
  const { logger, lines } = capturingLogger();
  const log = await FileLog.open({ directory, logger, ...options });
  for (let i = 1; i <= count; i++) await log.append(entry(i));
  await log.close();
  const files = (await readdir(directory)).sort();
  const lastFile = join(directory, files[files.length - 1] ?? '');
  return { directory, logger, lines, lastFile, open: () => FileLog.open({ directory, logger, ...options }) };
}

describe('FileLog', () => {
  it('rolls over to a new segment before one would exceed segmentBytes', async () => {
    const { directory, open } = await filled(100, { segmentBytes: 256 });
    const files = (await readdir(directory)).sort();
    assert.ok(files.length > 5, `${files.length} segments`);
    for (const file of files) assert.ok((await stat(join(directory, file))).size <= 256);
    const log = await open();
    assert.deepEqual(
      (await entries(log)).map(([s]) => s),
      Array.from({ length: 100 }, (_, i) => i + 1),
    );
    await log.close();
  });

  it('drops exactly a torn last record, at any byte where the write stopped, and logs it', async () => {
    const random = mulberry32(7);
    const { lastFile, lines, open } = await filled(10);
    const original = await readFile(lastFile);
    const lastRecordStart = original.length - (16 + entry(10).length);
    for (let trial = 0; trial < 20; trial++) {
      const cut = lastRecordStart + 1 + Math.floor(random() * (original.length - lastRecordStart - 1));
      await writeFile(lastFile, original.subarray(0, cut));
      lines.length = 0;
      const log = await open();
      assert.equal(log.lastSequence, 9);
      assert.equal((await entries(log)).length, 9);
      assert.equal(lines.filter((l) => l['level'] === 40 && l['reason'] !== undefined).length, 1);
      assert.equal((await stat(lastFile)).size, lastRecordStart);
      assert.equal(await log.append(entry(10)), 10, 'the dropped sequence is written again');
      await log.close();
      assert.deepEqual(await readFile(lastFile), original);
    }
  });

  it('drops a last record with a flipped byte (in the header or the payload)', async () => {
    const { lastFile, lines, open } = await filled(10);
    const original = await readFile(lastFile);
    const lastRecordStart = original.length - (16 + entry(10).length);
    for (const at of [lastRecordStart + 2, lastRecordStart + 5, lastRecordStart + 9, original.length - 1]) {
      const damaged = Buffer.from(original);
      damaged[at] = (damaged[at] ?? 0) ^ 0x10;
      await writeFile(lastFile, damaged);
      lines.length = 0;
      const log = await open();
      assert.equal(log.lastSequence, 9, `flipped byte ${at - lastRecordStart} of the record`);
      assert.equal(lines.length, 1);
      assert.match(String(lines[0]?.['msg']), /torn or corrupt tail/);
      await log.append(entry(10));
      await log.close();
    }
  });

  it('refuses to open when a good record follows a damaged one: that is lost data, not a torn write', async () => {
    const { lastFile, open } = await filled(10);
    const damaged = await readFile(lastFile);
    damaged[20] = (damaged[20] ?? 0) ^ 0xff;
    await writeFile(lastFile, damaged);
    await assert.rejects(
      open(),
      (e) => isStrataError(e) && e.code === 'INTERNAL' && e.message.includes('middle'),
    );
  });

  it('reports damage in an older segment when replay reaches it', async () => {
    const { directory, open } = await filled(60, { segmentBytes: 256 });
    const first = join(directory, (await readdir(directory)).sort()[0] ?? '');
    const damaged = await readFile(first);
    damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
    await writeFile(first, damaged);
    const log = await open();
    await assert.rejects(
      entries(log),
      (e) => isStrataError(e) && e.code === 'INTERNAL' && e.message.includes('corrupt'),
    );
    await log.close();
  });

  it('treats an empty last segment (a torn roll-over) as the continuation point', async () => {
    const { lastFile, open } = await filled(3);
    await truncate(lastFile, 0);
    const log = await open();
    assert.equal(log.lastSequence, 0);
    assert.equal(await log.append(entry(1)), 1);
    await log.close();
  });

  it('replays after truncateThrough from segments still present, and deletes only covered ones', async () => {
    const { directory, open } = await filled(100, { segmentBytes: 256 });
    const log = await open();
    const before = (await readdir(directory)).length;
    await log.truncateThrough(50);
    assert.ok((await readdir(directory)).length < before);
    assert.ok(log.firstSequence <= 51 && log.firstSequence > 1, `first ${log.firstSequence}`);
    assert.deepEqual(
      (await entries(log, 50)).map(([s]) => s),
      Array.from({ length: 50 }, (_, i) => i + 51),
    );
    await log.close();
    const again = await open();
    assert.equal(again.firstSequence, log.firstSequence);
    assert.equal(again.lastSequence, 100);
    await again.close();
  });

  for (const fsync of ['interval', 'never'] as const) {
    it(`with fsync ${fsync}, hands acknowledged entries to the OS, so a second reader sees them before close`, async () => {
      const directory = nextDirectory();
      const { logger } = capturingLogger();
      const log = await FileLog.open({ directory, logger, fsync, fsyncIntervalMs: 5 });
      assert.equal(log.durability, 'none');
      await Promise.all(Array.from({ length: 20 }, (_, i) => log.append(entry(i + 1))));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const reader = await FileLog.open({ directory, logger, fsync });
      assert.equal(reader.lastSequence, 20);
      assert.equal((await entries(reader)).length, 20);
      await reader.close();
      await log.close();
    });
  }

  it('has fsync durability by default', async () => {
    const { open } = await filled(1);
    const log = await open();
    assert.equal(log.durability, 'fsync');
    await log.close();
  });

  it('rejects an oversized entry without disturbing the others', async () => {
    const { open } = await filled(2);
    const log = await open();
    await assert.rejects(
      log.append(new Uint8Array(256 * 1024 * 1024 + 1)),
      (e) => isStrataError(e) && e.code === 'INVALID_ARGUMENT',
    );
    assert.equal(await log.append(entry(3)), 3);
    await log.close();
  });
});
