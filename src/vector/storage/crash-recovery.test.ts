import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { FileLog } from './file-log.js';
import { capturingLogger, temporaryDirectory } from './test-support.js';

const nextDirectory = temporaryDirectory('crash');
const fixture = fileURLToPath(new URL('./crash-writer.fixture.js', import.meta.url));

/** Runs the writer until `acks` appends were acknowledged, then SIGKILLs it; returns the acks seen. */
async function killMidStream(directory: string, acks: number): Promise<Map<number, string>> {
  const child = spawn(process.execPath, [fixture, directory, '16'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const acknowledged = new Map<number, string>();
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    const lines = buffered.split('\n');
    // The last piece may be a line cut short by the kill: only whole lines count as acknowledged.
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      const [sequence = '', hex = ''] = line.split(' ');
      acknowledged.set(Number(sequence), hex);
    }
    if (acknowledged.size >= acks) child.kill('SIGKILL');
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  assert.equal(signal, 'SIGKILL', `the writer exited by itself (code ${code})`);
  return acknowledged;
}

describe('FileLog crash recovery', () => {
  for (const acks of [200, 350, 500]) {
    it(`keeps every acknowledged entry, byte for byte, when the writer is killed after ${acks} acks`, async () => {
      const directory = nextDirectory();
      const acknowledged = await killMidStream(directory, acks);
      assert.ok(acknowledged.size >= acks);

      const { logger } = capturingLogger();
      const log = await FileLog.open({ directory, logger });
      const replayed = new Map<number, string>();
      let previous = 0;
      await log.replay(0, (sequence, entry) => {
        assert.equal(sequence, previous + 1, 'sequences are contiguous');
        previous = sequence;
        replayed.set(sequence, Buffer.from(entry).toString('hex'));
      });
      for (const [sequence, hex] of acknowledged) {
        assert.equal(replayed.get(sequence), hex, `acknowledged entry ${sequence}`);
      }
      assert.equal(log.lastSequence, previous);
      // The log continues after the crash with the next sequence.
      assert.equal(await log.append(new Uint8Array([1])), previous + 1);
      await log.close();
    });
  }
});
