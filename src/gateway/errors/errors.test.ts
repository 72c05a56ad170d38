import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { StrataError, errorCatalog, errorCodes } from '../../kernel/index.js';
import { grpcStatusByCode, toGrpcError } from './grpc.js';
import { httpStatusByCode, toProblem } from './http.js';

const secret = 'connect ECONNREFUSED 10.0.0.7:5432 reading /var/lib/strata/secret';
const grpcStatuses = new Set(Object.values(GrpcStatus).filter((value) => typeof value === 'number'));

describe('error mapping', () => {
  it('maps every code once per transport, and nothing else', () => {
    assert.ok(errorCodes.length > 0);
    assert.deepEqual(Object.keys(httpStatusByCode).sort(), [...errorCodes].sort());
    assert.deepEqual(Object.keys(grpcStatusByCode).sort(), [...errorCodes].sort());
  });

  for (const code of errorCodes) {
    const spec = errorCatalog[code];

    describe(code, () => {
      it(`has a ${spec.class === 'user' ? '4xx' : '5xx'} HTTP status for a ${spec.class} error`, () => {
        // No exceptions: every user error is 4xx and every system error 5xx.
        const status = httpStatusByCode[code];
        if (spec.class === 'user') assert.ok(status >= 400 && status < 500, `${code} → ${status}`);
        else assert.ok(status >= 500 && status < 600, `${code} → ${status}`);
      });

      it('has a gRPC status that is valid and not OK', () => {
        const status = grpcStatusByCode[code];
        assert.ok(grpcStatuses.has(status), `${code} → ${status}`);
        assert.notEqual(status, GrpcStatus.OK);
      });

      it('becomes RFC 9457 problem details', () => {
        const error = new StrataError(code, secret, { details: { field: 'name' } });
        const problem = toProblem(error, '/collections/x?limit=1', 'req-1');
        assert.equal(problem.type, `urn:strata:error:${code}`);
        assert.equal(problem.title, spec.title);
        assert.equal(problem.status, httpStatusByCode[code]);
        assert.equal(problem.instance, '/collections/x?limit=1');
        assert.equal(problem.code, code);
        assert.equal(problem.retryable, spec.retryable);
        assert.equal(problem.requestId, 'req-1');
        assert.equal(typeof problem.detail, 'string');
        assert.ok(problem.detail.length > 0);
        if (code === 'INTERNAL') {
          assert.ok(!JSON.stringify(problem).includes(secret), 'INTERNAL hides its message and details');
          assert.match(problem.detail, /req-1/, 'INTERNAL points to the log by request id');
          assert.equal('details' in problem, false);
        } else {
          assert.equal(problem.detail, secret);
          assert.deepEqual(problem.details, { field: 'name' });
        }
      });

      it('becomes a gRPC error with the code and retry hint as metadata', () => {
        const { code: status, details, metadata } = toGrpcError(new StrataError(code, secret));
        assert.equal(status, grpcStatusByCode[code]);
        assert.ok(metadata !== undefined);
        assert.deepEqual(metadata.get('strata-error-code'), [code]);
        assert.deepEqual(metadata.get('strata-retryable'), [String(spec.retryable)]);
        if (code === 'INTERNAL') {
          assert.ok(details !== undefined && !details.includes(secret), 'INTERNAL hides its message');
        } else {
          assert.equal(details, secret);
        }
      });
    });
  }
});
