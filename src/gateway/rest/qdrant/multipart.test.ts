import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../../kernel/index.js';
import { bufferSource, type ByteSource } from '../../../vector/index.js';
import { multipartFile as fromSource } from './multipart.js';

const multipartFile = (body: Buffer, type: string, field: string): Buffer => {
  const part: ByteSource = fromSource(bufferSource(body), type, field);
  return Buffer.from(part.read(0, part.size));
};

/** A form as fetch encodes it, so the parser reads what clients really send. */
async function encoded(form: FormData): Promise<{ body: Buffer; type: string }> {
  const request = new Request('http://localhost/', { method: 'POST', body: form });
  return {
    body: Buffer.from(await request.arrayBuffer()),
    type: request.headers.get('content-type') ?? '',
  };
}

describe('multipartFile', () => {
  it('returns the named field of a form, bytes intact (CRLF and boundary-like bytes included)', async () => {
    const bytes = new Uint8Array([0, 13, 10, 45, 45, 255, 13, 10, 13, 10, 1]);
    const form = new FormData();
    form.append('note', 'hello');
    form.append('snapshot', new Blob([bytes]), 'a.snapshot');
    const { body, type } = await encoded(form);
    assert.deepEqual(new Uint8Array(multipartFile(body, type, 'snapshot')), bytes);
  });

  it('takes the only file when the field has another name, and refuses a form without one', async () => {
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array([7, 8])]), 'x.snapshot');
    const { body, type } = await encoded(form);
    assert.deepEqual([...multipartFile(body, type, 'snapshot')], [7, 8]);
    const empty = new FormData();
    empty.append('note', 'hello');
    const other = await encoded(empty);
    assert.throws(
      () => multipartFile(other.body, other.type, 'snapshot'),
      (error) => isStrataError(error) && error.code === 'INVALID_ARGUMENT',
    );
  });

  it('refuses a body without its boundary, or cut short, as MALFORMED_REQUEST', () => {
    const malformed = (error: unknown) => isStrataError(error) && error.code === 'MALFORMED_REQUEST';
    assert.throws(() => multipartFile(Buffer.from('x'), 'multipart/form-data', 'snapshot'), malformed);
    const cut = Buffer.from('--b\r\ncontent-disposition: form-data; name="snapshot"\r\n\r\nabc');
    assert.throws(() => multipartFile(cut, 'multipart/form-data; boundary=b', 'snapshot'), malformed);
  });
});
