import { randomUUID } from 'node:crypto';
import { toStrataError } from '../../kernel/index.js';
import type {
  Action,
  AuditEntry,
  AuditOutcome,
  Credentials,
  Identity,
  SecurityModule,
} from '../../security/index.js';
import type { Caller } from './guard.js';

/**
 * How every transport turns credentials into the guard's Caller (docs/decisions/0008): REST reads
 * them from headers, gRPC from metadata, and both come here, so that an identity is checked,
 * audited and scoped the same way whichever transport carried it.
 */

/**
 * The id a request is known by in logs and the audit log: the client's `x-request-id` when it is
 * short and plain; anything else (too long, spaces, control characters that could forge log lines
 * or headers) is replaced by a fresh id.
 */
export function requestIdOf(given: string | undefined): string {
  return given !== undefined && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/** One request's caller; a class, so that the many requests share its methods. */
export class IdentityCaller implements Caller {
  constructor(
    private readonly requestId: string,
    readonly identity: Identity,
    private readonly security: SecurityModule,
  ) {}

  get tenant(): string {
    return this.identity.tenant;
  }

  get storedVectors(): number | undefined {
    return this.security.quotasOf(this.identity.tenant).storedVectors;
  }

  countInference(items: number): Promise<void> {
    return this.security.countInference(this.identity.tenant, items);
  }

  authorize(action: Action, resource: string): void {
    try {
      this.security.authorize(this.identity, action, resource);
    } catch (error) {
      // The denial is answered at once; its record follows (a failure to write it is logged).
      this.security.audit(this.#entry(action, resource, 'denied')).catch(() => undefined);
      throw error;
    }
  }

  audit(procedure: string, resource: string, outcome: 'success' | 'failure'): Promise<void> {
    return this.security.audit(this.#entry(procedure, resource, outcome));
  }

  #entry(action: string, resource: string, outcome: AuditOutcome): AuditEntry {
    const { subject: actor, tenant } = this.identity;
    return { actor, tenant, action, resource, outcome, requestId: this.requestId };
  }
}

/** The request a credential check is about, for the audit record of a refusal. */
export interface AuthenticationAttempt {
  readonly requestId: string;
  /** What was called: `POST /v2/models/:model/infer`, `/inference.GRPCInferenceService/ModelInfer`. */
  readonly resource: string;
}

/**
 * The identity the credentials prove; a refusal (UNAUTHENTICATED) is written to the audit log
 * with its reason before it is thrown. A source refused for failing too often (RATE_LIMITED) is
 * not: the failures that led to it were written, and a record per refusal would let a flood of
 * bad credentials fill the log.
 */
export async function authenticate(
  security: SecurityModule,
  credentials: Credentials,
  attempt: AuthenticationAttempt,
): Promise<Identity> {
  try {
    return await security.authenticate(credentials);
  } catch (error) {
    const failure = toStrataError(error);
    if (failure.code === 'RATE_LIMITED') throw failure;
    await security.audit({
      actor: 'anonymous',
      tenant: '-',
      action: 'auth.authenticate',
      resource: attempt.resource,
      outcome: 'denied',
      requestId: attempt.requestId,
      details: { code: failure.code, reason: reasonOf(failure.details?.['reason']) },
    });
    throw failure;
  }
}

function reasonOf(reason: unknown): string {
  return typeof reason === 'string' ? reason : 'unknown';
}
