import { StrataError, checkTenantId, defaultTenant } from '../../kernel/index.js';
import type { ApiKeyRecord, Identity, IssuedApiKey, SecurityModule } from '../../security/index.js';
import type { Caller } from './guard.js';

/**
 * API keys and tenants as procedures, for REST (`/admin/keys`, `strata keys`) and GraphQL alike.
 * Every call needs `admin` on `admin:keys`, and every change is an audit record. An admin manages
 * the keys of its own tenant; only the platform's operators — admins of the default tenant,
 * granted `admin` on `admin:tenants` — provision another tenant (its first keys) and list
 * tenants, and their data calls still act only within their own tenant.
 */

/** A create request as a client sent it; every field is checked here. */
export interface CreateKeyRequest {
  readonly tenant?: unknown;
  readonly name?: unknown;
  readonly roles?: unknown;
  readonly scopes?: unknown;
  readonly expiresAt?: unknown;
}

/** A tenant as the platform's operators see it: the tenants that hold keys or have quotas of their own. */
export interface TenantSummary {
  readonly id: string;
  /** Keys neither revoked nor expired. */
  readonly activeKeys: number;
  readonly requestsPerDay: number | undefined;
  readonly inferenceItemsPerDay: number | undefined;
  readonly storedVectors: number | undefined;
}

function invalid(message: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', message);
}

function strings(value: unknown, what: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalid(`${what} must be a list of non-empty strings`);
  }
  return value as string[];
}

export class KeyProcedures {
  private constructor(
    private readonly security: SecurityModule,
    private readonly identity: Identity,
    private readonly caller: Caller,
  ) {}

  /** The procedures for one authenticated admin; UNAUTHENTICATED without one, PERMISSION_DENIED for others. */
  static of(
    security: SecurityModule,
    identity: Identity | undefined,
    caller: Caller | undefined,
  ): KeyProcedures {
    if (identity === undefined || caller === undefined) {
      throw new StrataError('UNAUTHENTICATED', 'managing API keys needs credentials');
    }
    caller.authorize('admin', 'admin:keys');
    return new KeyProcedures(security, identity, caller);
  }

  async create(request: CreateKeyRequest): Promise<IssuedApiKey> {
    const { security } = this;
    if (typeof request.name !== 'string' || request.name === '')
      throw invalid('"name" must be a non-empty string');
    const roles = strings(request.roles, '"roles"') ?? [];
    if (roles.length === 0) throw invalid('"roles" must name at least one role');
    const unknown = roles.filter((role) => !security.authorizer.hasRole(role));
    if (unknown.length > 0) {
      throw invalid(
        `unknown role ${unknown.join(', ')}; the roles are ${security.authorizer.roleNames.join(', ')}`,
      );
    }
    const scopes = strings(request.scopes, '"scopes"');
    let expiresAt: Date | undefined;
    if (request.expiresAt !== undefined && request.expiresAt !== null) {
      expiresAt = new Date(typeof request.expiresAt === 'string' ? request.expiresAt : NaN);
      if (Number.isNaN(expiresAt.getTime())) throw invalid('"expiresAt" must be an ISO 8601 date');
    }
    const issued = await security.keys.create({
      tenant: this.#tenant(request.tenant),
      name: request.name,
      roles,
      ...(scopes === undefined ? {} : { scopes }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    });
    await this.#audit('apikey.create', issued.record.id);
    return issued;
  }

  list(tenant?: unknown): Promise<ApiKeyRecord[]> {
    return this.security.keys.list(this.#tenant(tenant));
  }

  async revoke(id: string): Promise<ApiKeyRecord> {
    await this.#own(id);
    const record = await this.security.keys.revoke(id);
    await this.#audit('apikey.revoke', record.id);
    return record;
  }

  async rotate(id: string): Promise<IssuedApiKey> {
    await this.#own(id);
    const issued = await this.security.keys.rotate(id);
    await this.#audit('apikey.rotate', issued.record.id);
    return issued;
  }

  /** Every tenant that holds a key or has quotas of its own; for the platform's operators only. */
  async tenants(): Promise<TenantSummary[]> {
    this.#operator('list tenants');
    const now = Date.now();
    const active = new Map<string, number>();
    for (const record of await this.security.keys.list()) {
      const expired = record.expiresAt !== undefined && Date.parse(record.expiresAt) <= now;
      const counted = record.revokedAt === undefined && !expired ? 1 : 0;
      active.set(record.tenant, (active.get(record.tenant) ?? 0) + counted);
    }
    for (const tenant of this.security.quotaTenants()) if (!active.has(tenant)) active.set(tenant, 0);
    return [...active.keys()].sort().map((id) => {
      const quotas = this.security.quotasOf(id);
      return {
        id,
        activeKeys: active.get(id) ?? 0,
        requestsPerDay: quotas.requestsPerDay,
        inferenceItemsPerDay: quotas.inferenceItemsPerDay,
        storedVectors: quotas.storedVectors,
      };
    });
  }

  /** The tenant whose keys a call manages: the caller's own, or, for the platform's operators, any. */
  #tenant(requested: unknown): string {
    const own = this.identity.tenant;
    if (requested === undefined || requested === null || requested === own) return own;
    if (typeof requested !== 'string') throw invalid('"tenant" must be a string');
    checkTenantId(requested);
    this.#operator(`manage the keys of tenant ${requested}`);
    return requested;
  }

  #operator(what: string): void {
    const { identity } = this;
    if (identity.tenant !== defaultTenant) {
      throw new StrataError(
        'PERMISSION_DENIED',
        `${identity.subject} of tenant ${identity.tenant} may not ${what}; that is for admins of tenant ${defaultTenant}`,
      );
    }
    this.caller.authorize('admin', 'admin:tenants');
  }

  /** A key the caller may manage; any other is as absent as an unknown one. */
  async #own(id: string): Promise<ApiKeyRecord> {
    const { identity, security } = this;
    const record = await security.keys.get(id);
    const manages =
      record.tenant === identity.tenant ||
      (identity.tenant === defaultTenant && security.authorizer.allows(identity, 'admin', 'admin:tenants'));
    if (!manages) throw new StrataError('NOT_FOUND', `API key ${id} does not exist`);
    return record;
  }

  #audit(action: string, id: string): Promise<void> {
    return this.caller.audit(action, `apikeys/${id}`, 'success');
  }
}
