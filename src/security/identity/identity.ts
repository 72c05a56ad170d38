import { StrataError } from '../../kernel/index.js';

/** Who is calling, established by one credential; what they may do is the Authorizer's call. */
export interface Identity {
  /** `api-key:<id>` for an API key, the token's `sub` for a JWT, the certificate subject for mTLS. */
  readonly subject: string;
  readonly tenant: string;
  /** Role names (built-in or configured); names no role defines grant nothing. */
  readonly roles: readonly string[];
  /**
   * Further restrictions of the roles (`<action>:<resource pattern>`, see authorizer.ts); absent
   * means the roles alone decide, an empty list allows nothing.
   */
  readonly scopes?: readonly string[];
  readonly via: 'api-key' | 'jwt' | 'mtls';
}

export type ApiKeyRejection = 'malformed' | 'unknown' | 'revoked' | 'expired';

export type JwtRejection =
  | 'malformed'
  | 'missing_claim'
  | 'expired'
  | 'not_yet_valid'
  | 'bad_signature'
  | 'unknown_key'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'unsupported_algorithm';

/** A client certificate the CA verified that no `security.identity.certificates` entry maps. */
export type CertificateRejection = 'unknown_certificate';

/** An UNAUTHENTICATED error; `details.reason` says why, for logs, audit and the client. */
export function unauthenticated(
  message: string,
  reason: ApiKeyRejection | JwtRejection | CertificateRejection,
  details: Readonly<Record<string, unknown>> = {},
  cause?: unknown,
): StrataError {
  return new StrataError('UNAUTHENTICATED', message, {
    details: { reason, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}
