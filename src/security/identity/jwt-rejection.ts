import { errors } from 'jose';
import { StrataError, isStrataError } from '../../kernel/index.js';
import { unauthenticated, type JwtRejection } from './identity.js';

const rejected = 'The bearer token is not valid';

/** jose's error codes, as the reason a client and the audit log see. */
export function rejection(error: unknown): StrataError {
  if (isStrataError(error)) return error;
  const reason = reasonOf(error);
  if (reason === undefined) {
    return new StrataError('INTERNAL', 'Verifying the bearer token failed unexpectedly.', { cause: error });
  }
  const hints: Record<JwtRejection, string> = {
    malformed: 'it is not a well-formed JWT',
    missing_claim: 'a required claim is missing',
    expired: 'it has expired; obtain a new one',
    not_yet_valid: 'it is not valid yet (nbf); check the clocks',
    bad_signature: 'its signature does not verify',
    unknown_key: 'no configured key matches its kid',
    wrong_issuer: 'its issuer (iss) is not accepted',
    wrong_audience: 'its audience (aud) does not include this server',
    unsupported_algorithm: 'its algorithm (alg) is not accepted',
  };
  const claim = error instanceof errors.JWTClaimValidationFailed ? { claim: error.claim } : {};
  const hint =
    reason === 'missing_claim' && 'claim' in claim ? `the ${claim.claim} claim is missing` : hints[reason];
  return unauthenticated(`${rejected}: ${hint}.`, reason, claim, error);
}

function reasonOf(error: unknown): JwtRejection | undefined {
  if (error instanceof errors.JWTExpired) return 'expired';
  if (error instanceof errors.JWTClaimValidationFailed) {
    if (error.reason === 'missing') return 'missing_claim';
    if (error.claim === 'nbf') return 'not_yet_valid';
    if (error.claim === 'iss') return 'wrong_issuer';
    if (error.claim === 'aud') return 'wrong_audience';
    return 'malformed';
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
  if (error instanceof errors.JOSEAlgNotAllowed || error instanceof errors.JOSENotSupported) {
    return 'unsupported_algorithm';
  }
  if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
    return 'unknown_key';
  }
  if (error instanceof errors.JWSInvalid || error instanceof errors.JWTInvalid) return 'malformed';
  return undefined;
}

export function claimError(claim: string, expected: string): StrataError {
  const reason: JwtRejection = 'malformed';
  return unauthenticated(`${rejected}: the ${claim} claim must be ${expected}.`, reason, { claim });
}
