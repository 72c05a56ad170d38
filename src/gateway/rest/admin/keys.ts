import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { SecurityModule } from '../../../security/index.js';
import { KeyProcedures, type CreateKeyRequest } from '../../procedures/keys.js';

const tags = ['admin'];

/** API keys over REST (`strata keys` is its client): a thin adapter over procedures/keys.ts. */
export function registerKeyRoutes(app: FastifyInstance, security: SecurityModule): void {
  const keys = (request: FastifyRequest): KeyProcedures =>
    KeyProcedures.of(security, request.identity, request.caller);

  app.post<{ Body: CreateKeyRequest | undefined }>(
    '/admin/keys',
    { schema: { summary: 'Create an API key', tags } },
    async (request, reply) => {
      // The key is in this one answer and nowhere else.
      const issued = await keys(request).create(request.body ?? {});
      return reply.status(201).send({ key: issued.key, ...issued.record });
    },
  );

  app.get<{ Querystring: { tenant?: string } }>(
    '/admin/keys',
    { schema: { summary: 'List API keys', tags } },
    async (request) => ({ keys: await keys(request).list(request.query.tenant) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/keys/:id',
    { schema: { summary: 'Revoke an API key', tags } },
    (request) => keys(request).revoke(request.params.id),
  );

  app.post<{ Params: { id: string } }>(
    '/admin/keys/:id/rotate',
    { schema: { summary: 'Rotate an API key (new secret, same id)', tags } },
    async (request) => {
      const issued = await keys(request).rotate(request.params.id);
      return { key: issued.key, ...issued.record };
    },
  );
}
