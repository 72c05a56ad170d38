import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { Authorizer } from './authorizer.js';
import { identityConfigSchema, type IdentityConfig } from './config.js';
import { JwtVerifier } from './jwt-verifier.js';

// Validated as the configuration loader validates (Ajv, defaults filled in), not with TypeBox's
// Value, which does not know StringEnum's plain JSON Schema enum.
const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: true });
ajv.addKeyword({ keyword: 'x-secret', schemaType: 'boolean' });
// Inside an object, as the root schema holds it (a default at the root is an error to strict Ajv).
const validateRoot = ajv.compile<{ identity: IdentityConfig }>(
  Type.Object({ identity: identityConfigSchema }, { additionalProperties: false }),
);
function validate(identity: unknown): identity is IdentityConfig {
  return validateRoot({ identity });
}

describe('identityConfigSchema', () => {
  it('fills defaults and builds an Authorizer and a JwtVerifier from the result', () => {
    const input = {
      roles: [{ name: 'scorer', grants: [{ actions: ['infer'], resources: ['model:fraud-*'] }] }],
      jwt: { secret: 'x'.repeat(32), issuer: 'https://idp.example' },
    };
    const config: unknown = structuredClone(input);
    assert.ok(validate(config), ajv.errorsText(validateRoot.errors));
    assert.equal(config.keyStore, 'file');
    const { jwt } = config;
    assert.ok(jwt !== undefined);
    assert.equal(jwt.clockSkewSeconds, 30);
    assert.equal(jwt.tenantClaim, 'tenant');
    assert.ok(new Authorizer(config.roles).hasRole('scorer'));
    assert.deepEqual(JwtVerifier.create(jwt).algorithms, ['HS256']);
  });

  it('refuses unknown fields, short secrets, unknown key stores and table names that are not identifiers', () => {
    assert.equal(validate({ roles: [], jwt: { secret: 'short' } }), false);
    assert.equal(validate({ roles: [{ name: 'x', grants: [], extra: 1 }] }), false);
    assert.equal(validate({ keyStore: 'redis' }), false);
    assert.equal(validate({ keyTable: 'keys; DROP TABLE keys' }), false);
  });
});
