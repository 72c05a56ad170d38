import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ErrorCode } from '../../kernel/index.js';
import { remoteFetchError, remoteStatusError } from './remote-http.js';

const server = 'http://models.internal:8000';

describe('remote model server errors', () => {
  it('maps each status to the code that says whose fault it is', () => {
    const cases: [number, string, ErrorCode, RegExp][] = [
      [
        400,
        '{"error":"unexpected shape for input \'x\'"}',
        'INVALID_ARGUMENT',
        /HTTP 400: unexpected shape for input 'x'$/,
      ],
      [
        404,
        '{"error":{"message":"no such model","type":"invalid_request_error"}}',
        'UNAVAILABLE',
        /no such model; the remote server no longer serves this model/,
      ],
      [
        401,
        '{"detail":"bad key"}',
        'MODEL_EXECUTION_FAILED',
        /bad key; check the API key .* remote\.api_key_env/,
      ],
      [408, '', 'DEADLINE_EXCEEDED', /HTTP 408: \(no message\)/],
      [429, 'slow down', 'OVERLOADED', /slow down/],
      [500, '<html>oops</html>', 'MODEL_EXECUTION_FAILED', /<html>oops<\/html>/],
      [503, '{"error":"loading"}', 'UNAVAILABLE', /loading/],
    ];
    for (const [status, body, code, message] of cases) {
      const headers: Record<string, string> = status === 429 ? { 'retry-after': '3' } : {};
      const error = remoteStatusError(new Response(null, { status, headers }), body, server);
      assert.equal(error.code, code, String(status));
      assert.match(error.message, message);
      assert.ok(error.message.includes(server));
      if (status === 429) assert.equal(error.details?.['retryAfterSeconds'], 3);
    }
  });

  it('tells a refused connection from a timeout', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    const unavailable = remoteFetchError(refused, server, 100);
    assert.equal(unavailable.code, 'UNAVAILABLE');
    assert.match(
      unavailable.message,
      /cannot reach the remote model server http:\/\/models\.internal:8000 \(ECONNREFUSED\)/,
    );
    const timeout = remoteFetchError(new DOMException('timed out', 'TimeoutError'), server, 100);
    assert.equal(timeout.code, 'DEADLINE_EXCEEDED');
    assert.match(timeout.message, /did not answer within 100 ms; .*remote\.timeout_ms/);
  });
});
