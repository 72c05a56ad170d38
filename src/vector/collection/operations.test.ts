import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { decodeOperation, encodeOperation, type Operation } from './operations.js';

const uuid = '6f1c2d3e-4a5b-4c6d-8e7f-901a2b3c4d5e';

function upsert(count: number, dimension: number): Operation {
  return {
    op: 'upsert',
    points: Array.from({ length: count }, (_, i) => ({
      id: i % 2 === 0 ? i : uuid.replace('6f', (10 + (i % 80)).toString(16)),
      vector: Float32Array.from({ length: dimension }, (_, d) => Math.sin(i * dimension + d) / 3),
      payload: i % 3 === 0 ? {} : { n: i, tags: ['a', 'b'], nested: { ok: true } },
    })),
  };
}

/** The operation as plain data: vectors as number arrays, so that deepEqual compares values. */
function plain(operation: Operation): unknown {
  if (operation.op !== 'upsert') return operation;
  return { ...operation, points: operation.points.map((p) => ({ ...p, vector: Array.from(p.vector) })) };
}

describe('log entries of operations', () => {
  it('logs an upsert in binary and reads back the same ids, payloads and float32 vectors', () => {
    const operation = upsert(25, 7);
    const bytes = encodeOperation(operation);
    assert.equal(bytes[0], 1, 'the binary upsert tag');
    assert.deepEqual(plain(decodeOperation(bytes)), plain(operation));
  });

  it('is a fraction of the JSON size for 64-dimensional vectors', () => {
    const operation = upsert(1000, 64);
    const json = JSON.stringify(plain(operation)).length;
    const binary = encodeOperation(operation).byteLength;
    assert.ok(binary < json / 2, `${String(binary)} bytes against ${String(json)} as JSON`);
  });

  it('reads an entry that does not start at a multiple of 4 in its buffer', () => {
    const operation = upsert(3, 5);
    const bytes = encodeOperation(operation);
    const buffer = new Uint8Array(bytes.byteLength + 3);
    buffer.set(bytes, 3);
    assert.deepEqual(plain(decodeOperation(buffer.subarray(3))), plain(operation));
  });

  it('logs every other operation as JSON, and reads upserts logged as JSON by earlier versions', () => {
    const deletion: Operation = { op: 'delete', ids: [1, uuid] };
    const bytes = encodeOperation(deletion);
    assert.equal(String.fromCharCode(bytes[0] ?? 0), '{');
    assert.deepEqual(decodeOperation(bytes), deletion);
    const earlier = { op: 'upsert', points: [{ id: 7, vector: [0.1, 0.2], payload: { a: 1 } }] };
    assert.deepEqual(decodeOperation(new TextEncoder().encode(JSON.stringify(earlier))), earlier);
  });

  it('logs an empty upsert', () => {
    const empty: Operation = { op: 'upsert', points: [] };
    assert.deepEqual(decodeOperation(encodeOperation(empty)), empty);
  });

  it('refuses a binary upsert whose bytes do not fit its layout, naming the sizes', () => {
    const bytes = encodeOperation(upsert(4, 8));
    assert.throws(
      () => decodeOperation(bytes.subarray(0, bytes.byteLength - 4)),
      (error: unknown) =>
        isStrataError(error) &&
        error.code === 'INTERNAL' &&
        error.message.includes('4 points of 8 dimensions'),
    );
  });
});
