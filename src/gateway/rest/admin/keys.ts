import type { FastifyInstance, FastifyRequest } from 'fastify';
import { StrataError } from '../../../kernel/index.js';
import type { ApiKeyRecord, Identity, SecurityModule } from '../../../security/index.js';

const tags = ['admin'];

interface CreateBody {
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
 * API keys of the caller's tenant over REST (`strata keys` is its client): create (the key is
 * in this one answer and nowhere else), list, revoke, rotate. Every call needs `admin` on
 * `admin:keys`, and every change is an audit record; keys never leave their tenant.
 */
export function registerKeyRoutes(app: FastifyInstance, security: SecurityModule): void {
  const admin = (request: FastifyRequest): Identity => {
    const identity = request.identity;
    if (identity === undefined) throw new StrataError('UNAUTHENTICATED', 'this route needs credentials');
    request.caller?.authorize('admin', 'admin:keys');
    return identity;
  };
  const audit = (request: FastifyRequest, action: string, id: string): Promise<void> =>
    request.caller?.audit(action, `apikeys/${id}`, 'success') ?? Promise.resolve();
  /** A key of the caller's tenant; another tenant's key is as absent as an unknown one. */
  const own = async (identity: Identity, id: string): Promise<ApiKeyRecord> => {
    const record = await security.keys.get(id);
    if (record.tenant !== identity.tenant) throw new StrataError('NOT_FOUND', `API key ${id} does not exist`);
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
      const issued = await security.keys.create({
        tenant: identity.tenant,
        name: body.name,
        roles,
        ...(scopes === undefined ? {} : { scopes }),
        ...(expiresAt === undefined ? {} : { expiresAt }),
      });
      await audit(request, 'apikey.create', issued.record.id);
      return reply.status(201).send({ key: issued.key, ...issued.record });
    },
  );

  app.get('/admin/keys', { schema: { summary: 'List API keys', tags } }, async (request) => {
    const identity = admin(request);
    return { keys: await security.keys.list(identity.tenant) };
  });

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
