import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError, checkTenantId, defaultTenant } from '../../../kernel/index.js';
import type { ApiKeyRecord, Identity, SecurityModule } from '../../../security/index.js';

const tags = ['admin'];

interface CreateBody {
  readonly tenant?: unknown;
  readonly name?: unknown;
  readonly roles?: unknown;
  readonly scopes?: unknown;
  readonly expiresAt?: unknown;
}

function invalid(message: string): StrataError {
  return new StrataError('INVALID_ARGUMENT', message);
}

function strings(value: unknown, what: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw invalid(`${what} must be a list of non-empty strings`);
  }
  return value as string[];
}

/**
 * API keys over REST (`strata keys` is its client): create (the key is in this one answer and
 * nowhere else), list, revoke, rotate. Every call needs `admin` on `admin:keys`, and every change
 * is an audit record. An admin manages the keys of its own tenant; only the platform's operators
 * — admins of the default tenant, granted `admin` on `admin:tenants` — provision another tenant
 * (its first keys), and their data calls still act only within their own tenant.
 */
export function registerKeyRoutes(app: FastifyInstance, security: SecurityModule): void {
  const admin = (request: FastifyRequest): Identity => {
    const identity = request.identity;
    if (identity === undefined) throw new StrataError('UNAUTHENTICATED', 'this route needs credentials');
    request.caller?.authorize('admin', 'admin:keys');
    return identity;
  };
  /** The tenant whose keys a call manages: the caller's own, or, for the platform's operators, any. */
  const tenantOf = (request: FastifyRequest, identity: Identity, requested: unknown): string => {
    if (requested === undefined || requested === identity.tenant) return identity.tenant;
    if (typeof requested !== 'string') throw invalid('"tenant" must be a string');
    checkTenantId(requested);
    if (identity.tenant !== defaultTenant) {
      throw new StrataError(
        'PERMISSION_DENIED',
        `${identity.subject} may manage only the keys of tenant ${identity.tenant}; another tenant's keys are provisioned by admins of tenant ${defaultTenant}`,
      );
    }
    request.caller?.authorize('admin', 'admin:tenants');
    return requested;
  };
  const audit = (request: FastifyRequest, action: string, id: string): Promise<void> =>
    request.caller?.audit(action, `apikeys/${id}`, 'success') ?? Promise.resolve();
  /** A key the caller may manage; any other is as absent as an unknown one. */
  const own = async (identity: Identity, id: string): Promise<ApiKeyRecord> => {
    const record = await security.keys.get(id);
    const manages =
      record.tenant === identity.tenant ||
      (identity.tenant === defaultTenant && security.authorizer.allows(identity, 'admin', 'admin:tenants'));
    if (!manages) throw new StrataError('NOT_FOUND', `API key ${id} does not exist`);
    return record;
  };

  app.post<{ Body: CreateBody | undefined }>(
    '/admin/keys',
    { schema: { summary: 'Create an API key', tags } },
    async (request, reply) => {
      const identity = admin(request);
      const body: CreateBody = request.body ?? {};
      if (typeof body.name !== 'string' || body.name === '')
        throw invalid('"name" must be a non-empty string');
      const roles = strings(body.roles, '"roles"') ?? [];
      if (roles.length === 0) throw invalid('"roles" must name at least one role');
      const unknown = roles.filter((role) => !security.authorizer.hasRole(role));
      if (unknown.length > 0) {
        throw invalid(
          `unknown role ${unknown.join(', ')}; the roles are ${security.authorizer.roleNames.join(', ')}`,
        );
      }
      const scopes = strings(body.scopes, '"scopes"');
      let expiresAt: Date | undefined;
      if (body.expiresAt !== undefined) {
        expiresAt = new Date(typeof body.expiresAt === 'string' ? body.expiresAt : NaN);
        if (Number.isNaN(expiresAt.getTime())) throw invalid('"expiresAt" must be an ISO 8601 date');
      }
      const tenant = tenantOf(request, identity, body.tenant);
      const issued = await security.keys.create({
        tenant,
        name: body.name,
        roles,
        ...(scopes === undefined ? {} : { scopes }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
      await audit(request, 'apikey.create', issued.record.id);
      return reply.status(201).send({ key: issued.key, ...issued.record });
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/admin/keys',
    { schema: { summary: 'List API keys', tags } },
    async (request) => {
      const identity = admin(request);
      return { keys: await security.keys.list(tenantOf(request, identity, request.query.tenant)) };
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/keys/:id',
    { schema: { summary: 'Revoke an API key', tags } },
    async (request) => {
      const identity = admin(request);
      await own(identity, request.params.id);
      const record = await security.keys.revoke(request.params.id);
      await audit(request, 'apikey.revoke', record.id);
      return record;
    },
  );

  app.post<{ Params: { id: string } }>(
    '/admin/keys/:id/rotate',
    { schema: { summary: 'Rotate an API key (new secret, same id)', tags } },
    async (request) => {
      const identity = admin(request);
      await own(identity, request.params.id);
      const issued = await security.keys.rotate(request.params.id);
      await audit(request, 'apikey.rotate', issued.record.id);
      return { key: issued.key, ...issued.record };
    },
  );
}
