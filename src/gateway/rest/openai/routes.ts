import type { FastifyInstance } from 'fastify';
import { StrataError } from '../../../kernel/index.js';
import type { OpenAIModel, ServingProcedures } from '../../../serving/index.js';
import { guardServing } from '../../procedures/guard.js';
import { forwardChat } from './chat.js';
import { createEmbeddings } from './embeddings.js';
import { installOpenAIErrors } from './errors.js';

const tags = ['OpenAI-compatible'];

/** OpenAI's model object (API reference, "Models"). */
function modelObject(model: OpenAIModel): { id: string; object: 'model'; created: number; owned_by: string } {
  return { id: model.id, object: 'model', created: model.created, owned_by: 'strata' };
}

/**
 * The OpenAI API's models, embeddings and chat completions over the serving procedures, with
 * OpenAI's paths, bodies and error shape, so its SDKs work unchanged against `<server>/v1`.
 */
export async function registerOpenAIRoutes(app: FastifyInstance, serving: ServingProcedures): Promise<void> {
  await app.register(async (scope) => {
    installOpenAIErrors(scope);
    scope.get('/v1/models', { schema: { summary: 'List models', tags } }, (request) => ({
      object: 'list',
      data: guardServing(serving, request.caller).openaiModels().map(modelObject),
    }));
    scope.get<{ Params: { id: string } }>(
      '/v1/models/:id',
      { schema: { summary: 'Retrieve a model', tags } },
      (request) => {
        const model = guardServing(serving, request.caller)
          .openaiModels()
          .find((m) => m.id === request.params.id);
        if (model === undefined) {
          throw new StrataError(
            'NOT_FOUND',
            `model '${request.params.id}' is not served through the OpenAI API; GET /v1/models lists those that are`,
            { details: { param: 'model' } },
          );
        }
        return modelObject(model);
      },
    );
    scope.post('/v1/embeddings', { schema: { summary: 'Create embeddings', tags } }, (request) =>
      createEmbeddings(guardServing(serving, request.caller), request.body),
    );
    scope.post(
      '/v1/chat/completions',
      { schema: { summary: 'Create a chat completion', tags } },
      (request, reply) => forwardChat(guardServing(serving, request.caller), request, reply),
    );
  });
}
