import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  generateSecret,
  SignJWT,
  type JWK,
  type JWTPayload,
} from 'jose';
import { isStrataError } from '../../kernel/index.js';
import { JwtVerifier } from './jwt-verifier.js';

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const now = () => Math.floor(Date.now() / 1000);
const claims = { sub: 'alice', tenant: 'acme', roles: ['editor'] };

function sign(key: PrivateKey | Uint8Array, alg: string, payload: JWTPayload = claims, kid?: string) {
  const jwt = new SignJWT(payload)
    .setProtectedHeader({ alg, ...(kid === undefined ? {} : { kid }) })
    .setIssuedAt();
  if (payload.exp === undefined) jwt.setExpirationTime('5m');
  return jwt.sign(key);
}

async function rejects(promise: Promise<unknown>, reason: string, message?: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(isStrataError(error), String(error));
    assert.equal(error.code, 'UNAUTHENTICATED');
    assert.equal(error.details?.['reason'], reason);
    if (message !== undefined) assert.match(error.message, message);
    return true;
  });
}

function base64url(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('JwtVerifier', () => {
  let secret: Uint8Array;
  let rsa: Awaited<ReturnType<typeof generateKeyPair>>;
  let ec: Awaited<ReturnType<typeof generateKeyPair>>;

  before(async () => {
    secret = new Uint8Array(
      await crypto.subtle.exportKey('raw', await generateSecret('HS256', { extractable: true })),
    );
    rsa = await generateKeyPair('RS256', { extractable: true });
    ec = await generateKeyPair('ES256', { extractable: true });
  });

  it('verifies HS256, RS256 and ES256 tokens into an identity', async () => {
    const hs = JwtVerifier.create({ secret });
    assert.deepEqual(hs.algorithms, ['HS256']);
    assert.deepEqual(await hs.verify(await sign(secret, 'HS256')), {
      subject: 'alice',
      tenant: 'acme',
      roles: ['editor'],
      via: 'jwt',
    });
    const rs = JwtVerifier.create({ publicKeyPem: await exportSPKI(rsa.publicKey) });
    assert.deepEqual(rs.algorithms, ['RS256']);
    assert.equal((await rs.verify(await sign(rsa.privateKey, 'RS256'))).subject, 'alice');
    const es = JwtVerifier.create({ publicKeyPem: await exportSPKI(ec.publicKey) });
    assert.deepEqual(es.algorithms, ['ES256']);
    assert.equal((await es.verify(await sign(ec.privateKey, 'ES256'))).tenant, 'acme');
  });

  it('reads tenant, roles and scopes from the configured claims', async () => {
    const verifier = JwtVerifier.create({
      secret,
      tenantClaim: 'org',
      rolesClaim: 'groups',
      scopesClaim: 'scope',
    });
    const token = await sign(secret, 'HS256', {
      sub: 'bob',
      org: 'o1',
      groups: 'viewer',
      scope: 'read:collection:* infer:model:*',
    });
    assert.deepEqual(await verifier.verify(token), {
      subject: 'bob',
      tenant: 'o1',
      roles: ['viewer'],
      scopes: ['read:collection:*', 'infer:model:*'],
      via: 'jwt',
    });
    await rejects(
      verifier.verify(await sign(secret, 'HS256', { sub: 'bob', org: 'o1', scope: 'drop:everything' })),
      'malformed',
      /scope claim/,
    );
    await rejects(
      verifier.verify(await sign(secret, 'HS256', { sub: 'bob', org: 'o1', groups: [1] })),
      'malformed',
      /groups claim/,
    );
  });

  it('refuses a token without the tenant claim, naming it', async () => {
    const verifier = JwtVerifier.create({ secret });
    const { tenant: _tenant, ...rest } = claims;
    await rejects(
      verifier.verify(await sign(secret, 'HS256', rest)),
      'missing_claim',
      /the tenant claim is missing/,
    );
    await assert.rejects(verifier.verify(await sign(secret, 'HS256', rest)), {
      details: { reason: 'missing_claim', claim: 'tenant' },
    });
    await rejects(
      verifier.verify(await sign(secret, 'HS256', { ...claims, tenant: '' })),
      'malformed',
      /tenant claim/,
    );
    await rejects(
      verifier.verify(await sign(secret, 'HS256', { ...claims, tenant: '../other' })),
      'malformed',
      /tenant claim must be a tenant id/,
    );
    const { sub: _sub, ...anonymous } = claims;
    await rejects(verifier.verify(await sign(secret, 'HS256', anonymous)), 'missing_claim', /sub claim/);
  });

  it('refuses a token that never expires', async () => {
    const verifier = JwtVerifier.create({ secret });
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(secret);
    await rejects(verifier.verify(token), 'missing_claim', /exp claim/);
  });

  it('checks exp and nbf with the allowed clock skew', async () => {
    const lenient = JwtVerifier.create({ secret });
    const strict = JwtVerifier.create({ secret, clockSkewSeconds: 0 });
    const expiredRecently = await sign(secret, 'HS256', { ...claims, exp: now() - 10 });
    await lenient.verify(expiredRecently);
    await rejects(strict.verify(expiredRecently), 'expired');
    await rejects(lenient.verify(await sign(secret, 'HS256', { ...claims, exp: now() - 60 })), 'expired');
    const soon = await sign(secret, 'HS256', { ...claims, nbf: now() + 10 });
    await lenient.verify(soon);
    await rejects(strict.verify(soon), 'not_yet_valid');
    await rejects(
      lenient.verify(await sign(secret, 'HS256', { ...claims, nbf: now() + 120 })),
      'not_yet_valid',
    );
  });

  it('uses the injected clock', async () => {
    const token = await sign(secret, 'HS256', { ...claims, exp: now() + 60 });
    const later = JwtVerifier.create({ secret, now: () => new Date(Date.now() + 3_600_000) });
    await rejects(later.verify(token), 'expired');
  });

  it('checks issuer and audience', async () => {
    const verifier = JwtVerifier.create({
      secret,
      issuer: 'https://idp.example',
      audience: ['strata', 'other'],
    });
    const good = { ...claims, iss: 'https://idp.example', aud: 'strata' };
    await verifier.verify(await sign(secret, 'HS256', good));
    await rejects(
      verifier.verify(await sign(secret, 'HS256', { ...good, iss: 'https://evil.example' })),
      'wrong_issuer',
    );
    await rejects(
      verifier.verify(await sign(secret, 'HS256', { ...good, aud: 'someone-else' })),
      'wrong_audience',
    );
    const { aud: _aud, ...noAudience } = good;
    await rejects(verifier.verify(await sign(secret, 'HS256', noAudience)), 'missing_claim');
  });

  it('refuses forged signatures', async () => {
    const hs = JwtVerifier.create({ secret });
    const otherSecret = new Uint8Array(32).fill(7);
    await rejects(hs.verify(await sign(otherSecret, 'HS256')), 'bad_signature');
    const token = await sign(secret, 'HS256');
    const [header, , signature] = token.split('.');
    const tampered = `${header}.${base64url({ ...claims, roles: ['admin'], exp: now() + 60 })}.${signature}`;
    await rejects(hs.verify(tampered), 'bad_signature');
    const rs = JwtVerifier.create({ publicKeyPem: await exportSPKI(rsa.publicKey) });
    const otherRsa = await generateKeyPair('RS256');
    await rejects(rs.verify(await sign(otherRsa.privateKey, 'RS256')), 'bad_signature');
  });

  it('refuses alg none, unconfigured algorithms and HMAC signed with the public key', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const both = JwtVerifier.create({ secret, publicKeyPem: pem });
    const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${base64url({ ...claims, exp: now() + 60 })}.`;
    await rejects(both.verify(unsigned), 'unsupported_algorithm');
    await rejects(
      both.verify(`${base64url({ alg: 'none' })}.${base64url({ ...claims, exp: now() + 60 })}`),
      'malformed',
    );

    const rsOnly = JwtVerifier.create({ publicKeyPem: pem });
    // The classic algorithm confusion: the attacker knows the public key and uses it as an HMAC secret.
    await rejects(rsOnly.verify(await sign(new TextEncoder().encode(pem), 'HS256')), 'unsupported_algorithm');
    const hsOnly = JwtVerifier.create({ secret, algorithms: ['HS256'] });
    await rejects(hsOnly.verify(await sign(ec.privateKey, 'ES256')), 'unsupported_algorithm');
    await rejects(
      hsOnly.verify(
        await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1m').sign(secret),
      ),
      'unsupported_algorithm',
    );
  });

  it('refuses malformed tokens', async () => {
    const verifier = JwtVerifier.create({ secret });
    // Signed correctly, so only the claims set is wrong (jose checks the signature first).
    const signingInput = `${base64url({ alg: 'HS256' })}.${Buffer.from('not json').toString('base64url')}`;
    const signed = `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
    for (const token of ['', 'abc', 'a.b.c', signed]) {
      await rejects(verifier.verify(token), 'malformed');
    }
  });

  it('refuses invalid settings, saying what to change', async () => {
    const pem = await exportSPKI(rsa.publicKey);
    const cases: [Parameters<typeof JwtVerifier.create>[0], RegExp][] = [
      [{}, /configure a secret/],
      [{ secret: 'too short' }, /at least 32 bytes/],
      [{ publicKeyPem: 'not a key' }, /not a PEM public key/],
      [{ publicKeyPem: pem, jwksUrl: 'https://idp.example/jwks' }, /not both/],
      [{ secret, algorithms: ['RS256'] }, /RS256 has no key/],
      [{ secret, algorithms: ['none' as 'HS256'] }, /"none" is not supported/],
      [{ jwksUrl: 'http://idp.example/jwks' }, /must use https/],
      [{ secret, clockSkewSeconds: -1 }, /clockSkewSeconds/],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => JwtVerifier.create(options), { code: 'CONFIG_INVALID', message });
    }
  });
});

describe('JwtVerifier with a JWKS URL', () => {
  let server: Server;
  let url: string;
  let published: JWK[] = [];
  let fetches = 0;

  async function publicJwk(
    key: Awaited<ReturnType<typeof generateKeyPair>>,
    kid: string,
    alg: string,
  ): Promise<JWK> {
    return { ...(await exportJWK(key.publicKey)), kid, alg, use: 'sig' };
  }

  before(async () => {
    server = createServer((_request, response) => {
      fetches++;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys: published }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('verifies RS256 and ES256 tokens by kid, caches the set, and picks up a rotated key', async () => {
    const first = await generateKeyPair('RS256');
    const ecKey = await generateKeyPair('ES256');
    // Every key is made up front: RSA key generation on a busy machine can outlast the cooldown.
    const second = await generateKeyPair('RS256');
    const impostor = await generateKeyPair('RS256');
    published = [await publicJwk(first, 'k1', 'RS256'), await publicJwk(ecKey, 'e1', 'ES256')];
    fetches = 0;
    const verifier = JwtVerifier.create({ jwksUrl: url, jwksCooldownMs: 1000 });
    assert.deepEqual(verifier.algorithms, ['RS256', 'ES256']);
    assert.equal(
      (await verifier.verify(await sign(first.privateKey, 'RS256', claims, 'k1'))).subject,
      'alice',
    );
    assert.equal(
      (await verifier.verify(await sign(ecKey.privateKey, 'ES256', claims, 'e1'))).subject,
      'alice',
    );
    assert.equal(fetches, 1);

    // The issuer rotates: it publishes k2 and signs with it. Within the cooldown an unknown kid
    // does not refetch (a flood of made-up kids cannot hammer the issuer); after it, it does.
    published = [await publicJwk(second, 'k2', 'RS256'), ...published];
    const rotated = await sign(second.privateKey, 'RS256', claims, 'k2');
    await rejects(verifier.verify(rotated), 'unknown_key');
    assert.equal(fetches, 1);
    await sleep(1100);
    assert.equal((await verifier.verify(rotated)).subject, 'alice');
    assert.equal(fetches, 2);
    await verifier.verify(await sign(first.privateKey, 'RS256', claims, 'k1'));

    // A key of the same kid that the set does not hold: the signature fails.
    await rejects(verifier.verify(await sign(impostor.privateKey, 'RS256', claims, 'k2')), 'bad_signature');
  });

  it('is UNAVAILABLE when the set cannot be fetched', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const verifier = JwtVerifier.create({ jwksUrl: `http://127.0.0.1:${port}/jwks`, jwksTimeoutMs: 500 });
    const key = await generateKeyPair('RS256');
    await assert.rejects(verifier.verify(await sign(key.privateKey, 'RS256', claims, 'k1')), {
      code: 'UNAVAILABLE',
      message: /Could not fetch the JSON Web Key Set/,
    });
  });
});
