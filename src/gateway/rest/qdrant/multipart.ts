import { StrataError } from '../../../kernel/index.js';

/**
 * The file of one field of a `multipart/form-data` body (RFC 7578): the part whose
 * Content-Disposition names `field`, else the only part that carries a filename. Enough for the
 * one route that takes a form (a snapshot upload), without a multipart dependency. The body is
 * already in memory, so parts are views into it, not copies.
 */
export function multipartFile(body: Buffer, contentType: string, field: string): Buffer {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2];
  if (token === undefined) throw malformed('the multipart content type has no boundary');
  const delimiter = Buffer.from(`--${token}`);
  const parts: { headers: string; content: Buffer }[] = [];
  let start = body.indexOf(delimiter);
  if (start < 0) throw malformed('the multipart body has no part with its boundary');
  for (;;) {
    const afterDelimiter = start + delimiter.length;
    // `--` after a delimiter closes the body (the close-delimiter).
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString('latin1') === '--') break;
    const headersEnd = body.indexOf('\r\n\r\n', afterDelimiter);
    if (headersEnd < 0) throw malformed('a multipart part has no end of its headers');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) throw malformed('the multipart body ends before its closing boundary');
    parts.push({
      headers: body.subarray(afterDelimiter, headersEnd).toString('utf8'),
      content: body.subarray(headersEnd + 4, next),
    });
    start = next + 2;
  }
  const named = parts.find((part) => new RegExp(`\\bname="${field}"`, 'i').test(part.headers));
  const files = parts.filter((part) => /\bfilename\*?=/i.test(part.headers));
  const chosen = named ?? (files.length === 1 ? files[0] : undefined);
  if (chosen === undefined)
    throw new StrataError('INVALID_ARGUMENT', `the multipart body has no file field "${field}"`);
  return chosen.content;
}

function malformed(reason: string): StrataError {
  return new StrataError(
    'MALFORMED_REQUEST',
    `${reason}; send the file as a form field or as application/octet-stream`,
  );
}
