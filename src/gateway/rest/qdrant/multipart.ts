import { StrataError } from '../../../kernel/index.js';
import { sliceSource, type ByteSource } from '../../../vector/index.js';

/** Bytes searched at a time for a boundary. */
const scanChunk = 1 << 20;

/**
 * The file of one field of a `multipart/form-data` body (RFC 7578): the part whose
 * Content-Disposition names `field`, else the only part that carries a filename. Enough for the
 * one route that takes a form (a snapshot upload), without a multipart dependency. The body is
 * read from `body` a chunk at a time (a file the upload was written to), and the part comes back
 * as a range of it, not a copy.
 */
export function multipartFile(body: ByteSource, contentType: string, field: string): ByteSource {
  const boundary = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const token = boundary?.[1] ?? boundary?.[2];
  if (token === undefined) throw malformed('the multipart content type has no boundary');
  const delimiter = Buffer.from(`--${token}`);
  const parts: { headers: string; start: number; end: number }[] = [];
  let start = indexOf(body, delimiter, 0);
  if (start < 0) throw malformed('the multipart body has no part with its boundary');
  for (;;) {
    const afterDelimiter = start + delimiter.length;
    // `--` after a delimiter closes the body (the close-delimiter).
    if (text(body, afterDelimiter, 2) === '--') break;
    const headersEnd = indexOf(body, Buffer.from('\r\n\r\n'), afterDelimiter);
    if (headersEnd < 0) throw malformed('a multipart part has no end of its headers');
    const next = indexOf(body, Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd + 4);
    if (next < 0) throw malformed('the multipart body ends before its closing boundary');
    parts.push({
      headers: text(body, afterDelimiter, headersEnd - afterDelimiter),
      start: headersEnd + 4,
      end: next,
    });
    start = next + 2;
  }
  const named = parts.find((part) => new RegExp(`\\bname="${field}"`, 'i').test(part.headers));
  const files = parts.filter((part) => /\bfilename\*?=/i.test(part.headers));
  const chosen = named ?? (files.length === 1 ? files[0] : undefined);
  if (chosen === undefined)
    throw new StrataError('INVALID_ARGUMENT', `the multipart body has no file field "${field}"`);
  return sliceSource(body, chosen.start, chosen.end);
}

/** Where `needle` first starts at or after `from`, or -1; chunks overlap so no match is split. */
function indexOf(source: ByteSource, needle: Uint8Array, from: number): number {
  for (let at = from; at < source.size; at += scanChunk) {
    const length = Math.min(scanChunk + needle.length - 1, source.size - at);
    const bytes = source.read(at, length);
    // A view, not a copy: the chunk may be a megabyte of the upload.
    const found = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle);
    if (found >= 0) return at + found;
  }
  return -1;
}

/** Up to `length` bytes from `start` as UTF-8 (headers are short). */
function text(source: ByteSource, start: number, length: number): string {
  const end = Math.min(source.size, start + length);
  return end <= start ? '' : Buffer.from(source.read(start, end - start)).toString('utf8');
}

function malformed(reason: string): StrataError {
  return new StrataError(
    'MALFORMED_REQUEST',
    `${reason}; send the file as a form field or as application/octet-stream`,
  );
}
