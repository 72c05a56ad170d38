import { createPublicKey, type KeyObject } from 'node:crypto';
import {
  createRemoteJWKSet,
  errors,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWSHeaderParameters,
  type FlattenedJWSInput,
} from 'jose';
import { StrataError, isTenantId } from '../../kernel/index.js';
import { scopeProblem } from './authorizer.js';
import type { Identity } from './identity.js';
import { claimError, rejection } from './jwt-rejection.js';

export const jwtAlgorithms = ['HS256', 'RS256', 'ES256'] as const;
export type JwtAlgorithm = (typeof jwtAlgorithms)[number];

export interface JwtVerifierOptions {
  /** Accepted `iss` values; unchecked when absent. */
  readonly issuer?: string | readonly string[];
  /** Accepted `aud` values (one must be in the token); unchecked when absent. */
  readonly audience?: string | readonly string[];
  /** Default: every algorithm the configured keys allow (HS256 with a secret, the PEM key's own, RS256 and ES256 with a JWKS). */
  readonly algorithms?: readonly JwtAlgorithm[];
  /** The HS256 shared secret, at least 32 bytes (RFC 7518 §3.2). */
  readonly secret?: string | Uint8Array;
  /** An RSA (RS256) or P-256 (ES256) public key, SPKI PEM. Exclusive with jwksUrl. */
  readonly publicKeyPem?: string;
  /** An https (or loopback http) URL serving a JSON Web Key Set; keys are picked by `kid`. */
  readonly jwksUrl?: string;
  /** After a fetch, how long an unknown `kid` waits before it may trigger another. Default 30 s. */
  readonly jwksCooldownMs?: number;
  /** How long fetched keys are trusted before the set is fetched again. Default 10 min. */
  readonly jwksCacheMaxAgeMs?: number;
  /** Default 5 s. */
  readonly jwksTimeoutMs?: number;
  /** Tolerance for `exp` and `nbf` between clocks. Default 30. */
  readonly clockSkewSeconds?: number;
  /** Default `tenant`. */
  readonly tenantClaim?: string;
  /** A string array (or one string). Default `roles`; a token without it has no roles. */
  readonly rolesClaim?: string;
  /** When set, this claim (string array, or space-separated string) becomes the identity's scopes. */
  readonly scopesClaim?: string;
  /** The clock; tests pass their own. */
  readonly now?: () => Date;
}

type RemoteKeys = ReturnType<typeof createRemoteJWKSet>;

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Verifies bearer JWTs with jose and turns their claims into an Identity. Only the configured
 * algorithms are accepted (so never `none`, and never HS256 signed with a public key as the
 * secret: each algorithm has its own key source). Tokens must carry `exp`, `sub` and the tenant
 * claim: a token that never expires cannot be taken back short of rotating the signing key.
 */
export class JwtVerifier {
  private constructor(
    private readonly options: JwtVerifierOptions,
    readonly algorithms: readonly JwtAlgorithm[],
    private readonly getKey: JWTVerifyGetKey,
  ) {}

  /** @throws StrataError CONFIG_INVALID naming what to fix. */
  static create(options: JwtVerifierOptions): JwtVerifier {
    const secret =
      typeof options.secret === 'string' ? new TextEncoder().encode(options.secret) : options.secret;
    if (secret !== undefined && secret.length < 32) {
      throw invalid(
        'secret must be at least 32 bytes (256 bits) for HS256; generate one with `openssl rand -base64 32`',
      );
    }
    if (options.publicKeyPem !== undefined && options.jwksUrl !== undefined) {
      throw invalid('configure publicKeyPem or jwksUrl, not both');
    }
    const pem = options.publicKeyPem === undefined ? undefined : parsePem(options.publicKeyPem);
    const remote = options.jwksUrl === undefined ? undefined : remoteKeys(options.jwksUrl, options);

    const available = new Set<JwtAlgorithm>();
    if (secret !== undefined) available.add('HS256');
    if (pem !== undefined) available.add(pem.algorithm);
    if (remote !== undefined) (['RS256', 'ES256'] as const).forEach((algorithm) => available.add(algorithm));
    if (available.size === 0) throw invalid('configure a secret (HS256), a publicKeyPem or a jwksUrl');
    const algorithms = options.algorithms ?? [...available];
    for (const algorithm of algorithms) {
      if (!(jwtAlgorithms as readonly string[]).includes(algorithm)) {
        throw invalid(`algorithm "${algorithm}" is not supported; use ${jwtAlgorithms.join(', ')}`);
      }
      if (!available.has(algorithm)) {
        throw invalid(
          `algorithm ${algorithm} has no key: configure ${keyFor(algorithm)} or drop it from algorithms`,
        );
      }
    }
    if (algorithms.length === 0) throw invalid('algorithms must not be empty');
    for (const [name, value] of [
      ['clockSkewSeconds', options.clockSkewSeconds],
      ['jwksCooldownMs', options.jwksCooldownMs],
      ['jwksCacheMaxAgeMs', options.jwksCacheMaxAgeMs],
      ['jwksTimeoutMs', options.jwksTimeoutMs],
    ] as const) {
      if (value !== undefined && !(Number.isFinite(value) && value >= 0))
        throw invalid(`${name} must be 0 or more`);
    }

    const getKey = async (header: JWSHeaderParameters, token: FlattenedJWSInput) => {
      // jose has already refused any algorithm outside `algorithms`, so each branch has its key.
      if (header.alg === 'HS256' && secret !== undefined) return secret;
      if (pem !== undefined && header.alg === pem.algorithm) return pem.key;
      if (remote !== undefined) return fetchKey(remote, header, token, options.jwksUrl ?? '');
      throw new errors.JOSEAlgNotAllowed(`no key for ${String(header.alg)}`);
    };
    return new JwtVerifier(options, algorithms, getKey);
  }

  /** @throws StrataError UNAUTHENTICATED with details.reason; UNAVAILABLE when the JWKS cannot be fetched. */
  async verify(token: string): Promise<Identity> {
    const { options } = this;
    const tenantClaim = options.tenantClaim ?? 'tenant';
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.getKey, {
        algorithms: [...this.algorithms],
        clockTolerance: options.clockSkewSeconds ?? 30,
        requiredClaims: ['exp', 'sub', tenantClaim],
        ...(options.issuer === undefined ? {} : { issuer: toArray(options.issuer) }),
        ...(options.audience === undefined ? {} : { audience: toArray(options.audience) }),
        ...(options.now === undefined ? {} : { currentDate: options.now() }),
      }));
    } catch (error) {
      throw rejection(error);
    }
    const subject = payload.sub;
    const tenant = payload[tenantClaim];
    if (typeof subject !== 'string' || subject === '') throw claimError('sub', 'a non-empty string');
    if (typeof tenant !== 'string' || !isTenantId(tenant))
      throw claimError(tenantClaim, "a tenant id (1 to 64 letters, digits, '_' or '-')");
    const rolesClaim = options.rolesClaim ?? 'roles';
    const roles = stringList(payload[rolesClaim] ?? [], false);
    if (roles === undefined) throw claimError(rolesClaim, 'a string array');
    let scopes: string[] | undefined;
    if (options.scopesClaim !== undefined && payload[options.scopesClaim] !== undefined) {
      scopes = stringList(payload[options.scopesClaim], true);
      const problem =
        scopes === undefined ? 'it is not a string array' : scopes.map(scopeProblem).find(Boolean);
      if (problem !== undefined) throw claimError(options.scopesClaim, `valid scopes (${problem})`);
    }
    return { subject, tenant, roles, ...(scopes === undefined ? {} : { scopes }), via: 'jwt' };
  }
}

function parsePem(pem: string): { key: KeyObject; algorithm: JwtAlgorithm } {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (cause) {
    throw invalid('publicKeyPem is not a PEM public key (-----BEGIN PUBLIC KEY-----)', cause);
  }
  if (key.asymmetricKeyType === 'rsa') return { key, algorithm: 'RS256' };
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return { key, algorithm: 'ES256' };
  }
  throw invalid('publicKeyPem must be an RSA key (RS256) or a P-256 EC key (ES256)');
}

function remoteKeys(jwksUrl: string, options: JwtVerifierOptions): RemoteKeys {
  let url: URL;
  try {
    url = new URL(jwksUrl);
  } catch (cause) {
    throw invalid(`jwksUrl "${jwksUrl}" is not a URL`, cause);
  }
  // Keys fetched over plain http could be replaced in transit by anyone on the path, who could then mint tokens.
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopbackHosts.has(url.hostname))) {
    throw invalid(`jwksUrl must use https (plain http only to localhost), not ${url.protocol}`);
  }
  return createRemoteJWKSet(url, {
    cooldownDuration: options.jwksCooldownMs ?? 30_000,
    cacheMaxAge: options.jwksCacheMaxAgeMs ?? 600_000,
    timeoutDuration: options.jwksTimeoutMs ?? 5_000,
  });
}

/** jose refetches the set on an unknown `kid` (key rotation) once the cooldown has passed. */
async function fetchKey(
  remote: RemoteKeys,
  header: JWSHeaderParameters,
  token: FlattenedJWSInput,
  url: string,
) {
  try {
    return await remote(header, token);
  } catch (error) {
    if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys)
      throw error;
    throw new StrataError('UNAVAILABLE', `Could not fetch the JSON Web Key Set from ${url}; retry later.`, {
      details: { jwksUrl: url },
      cause: error,
    });
  }
}

function stringList(value: unknown, splitSpaces: boolean): string[] | undefined {
  if (typeof value === 'string') return splitSpaces ? value.split(' ').filter(Boolean) : [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value;
  return undefined;
}

function toArray(value: string | readonly string[]): string[] {
  return typeof value === 'string' ? [value] : [...value];
}

function keyFor(algorithm: JwtAlgorithm): string {
  return algorithm === 'HS256' ? 'a secret' : 'a publicKeyPem of that type or a jwksUrl';
}

function invalid(problem: string, cause?: unknown): StrataError {
  return new StrataError('CONFIG_INVALID', `Invalid JWT settings: ${problem}.`, {
    details: { problem },
    ...(cause === undefined ? {} : { cause }),
  });
}
