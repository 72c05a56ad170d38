import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { StrataError } from '../../kernel/index.js';
import { problemContentType, toProblem } from '../errors/http.js';

export interface ModuleReadiness {
  readonly name: string;
  readonly state: string;
}

/** What /readyz reports: the state of every module of the running targets. */
export type ReadinessProbe = () => readonly ModuleReadiness[];

const moduleStates = Type.Record(Type.String(), Type.String(), {
  description:
    'State of each module of the running targets: new, starting, running, stopping, terminated or failed.',
});

/** The operational endpoints every Strata process serves, whatever its target. */
export function registerOperationRoutes(
  app: FastifyInstance,
  registry: Registry,
  readiness: ReadinessProbe,
): void {
  app.get(
    '/healthz',
    {
      schema: {
        summary: 'Liveness: the process is up and serving HTTP.',
        tags: ['operations'],
        response: { 200: Type.Object({ status: Type.Literal('ok') }) },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        summary:
          'Readiness: 200 when every module of the running targets is running, else 503 naming the others.',
        tags: ['operations'],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), modules: moduleStates }),
          503: Type.Object(
            {
              code: Type.Literal('NOT_READY'),
              detail: Type.String(),
              details: Type.Object({ modules: moduleStates }),
            },
            { additionalProperties: true, description: 'RFC 9457 problem details.' },
          ),
        },
      },
    },
    async (request, reply) => {
      const modules = readiness();
      const states = Object.fromEntries(modules.map((module) => [module.name, module.state]));
      const waiting = modules.filter((module) => module.state !== 'running');
      if (waiting.length === 0) return { status: 'ready' as const, modules: states };
      const names = waiting.map((module) => `${module.name} (${module.state})`).join(', ');
      const error = new StrataError('NOT_READY', `modules not running: ${names}`, {
        details: { modules: states },
      });
      return reply
        .status(503)
        .type(problemContentType)
        .send(toProblem(error, request.url, request.id));
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary: 'Prometheus metrics in the text exposition format.',
        tags: ['operations'],
        produces: ['text/plain'],
        response: { 200: Type.String() },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
}
