import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import { Authorizer } from './authorizer.js';
import { identityConfigSchema, type IdentityConfig } from './config.js';
import { JwtVerifier } from './jwt-verifier.js';

describe('identityConfigSchema', () => {
  it('fills defaults and builds an Authorizer and a JwtVerifier from the result', () => {
    const input = {
      roles: [{ name: 'scorer', grants: [{ actions: ['infer'], resources: ['model:fraud-*'] }] }],
      jwt: { secret: 'x'.repeat(32), issuer: 'https://idp.example' },
    };
    const config = Value.Default(identityConfigSchema, structuredClone(input)) as IdentityConfig;
    assert.ok(
      Value.Check(identityConfigSchema, config),
      [...Value.Errors(identityConfigSchema, config)].map((e) => e.message).join(),
    );
    const { jwt } = config;
    assert.ok(jwt !== undefined);
    assert.equal(jwt.clockSkewSeconds, 30);
    assert.equal(jwt.tenantClaim, 'tenant');
    assert.ok(new Authorizer(config.roles).hasRole('scorer'));
    assert.deepEqual(JwtVerifier.create(jwt).algorithms, ['HS256']);
  });

  it('refuses unknown fields and short secrets', () => {
    assert.equal(Value.Check(identityConfigSchema, { roles: [], jwt: { secret: 'short' } }), false);
    assert.equal(Value.Check(identityConfigSchema, { roles: [{ name: 'x', grants: [], extra: 1 }] }), false);
  });
});
