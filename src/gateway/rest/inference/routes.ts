import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, HTTPMethods } from 'fastify';
import { StrataError, packageRoot } from '../../../kernel/index.js';
import type { ModelMetadata, RepositoryEntry, ServingProcedures } from '../../../serving/index.js';
import { guardServing } from '../../procedures/guard.js';
import { installInferenceConventions } from './envelope.js';
import { decodeInferRequest, encodeInferResponse, type EncodedResponse } from './infer.js';

/** What a handler gets from the request: the model and version in the path, the body, the headers. */
interface Call {
  /** The serving procedures as this request's caller may use them (procedures/guard.ts). */
  readonly serving: ServingProcedures;
  readonly model: string;
  /** Present when the path names a version (`/versions/:version`). */
  readonly version: number | undefined;
  readonly body: unknown;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

/**
 * What a route answers: a JSON value; a body already written (infer responses: JSON text, whose
 * 64-bit integers `JSON.stringify` cannot write, or JSON plus binary tensors), with its content
 * type and extra headers; or only a status with an empty
 * body: the health APIs ("200 indicates true and a 4xx status code indicates false"; Triton
 * answers 400) and a successful load or unload.
 */
type Answer = { readonly json: unknown } | { readonly encoded: EncodedResponse } | { readonly ok: boolean };

interface InferenceRoute {
  readonly method: HTTPMethods;
  /** Relative to /v2; `:model` routes also exist as `.../versions/:version`. */
  readonly url: string;
  readonly summary: string;
  readonly handle: (call: Call) => Answer | Promise<Answer>;
}

export interface InferenceRoutesOptions {
  /** The server version /v2 reports; the package's version when absent. */
  readonly version?: string;
}

/** Extensions that this server implements (server metadata `extensions`). */
const extensions = ['model_repository', 'binary_tensor_data'] as const;

const model = '/models/:model';

/** The Open Inference Protocol's REST routes, with Triton's model repository extension. */
function inferenceRoutes(version: string): readonly InferenceRoute[] {
  return [
    {
      method: 'GET',
      url: '/',
      summary: 'Server metadata',
      handle: () => ({ json: { name: 'strata', version, extensions } }),
    },
    {
      method: 'GET',
      url: '/health/live',
      summary: 'Server live',
      // Answering at all is being live; a draining server answers 503 before reaching here.
      handle: () => ({ ok: true }),
    },
    {
      method: 'GET',
      url: '/health/ready',
      summary: 'Server ready',
      handle: (c) => ({ ok: c.serving.serverReady() }),
    },
    {
      method: 'GET',
      url: model,
      summary: 'Model metadata',
      handle: (c) => ({ json: metadataJson(c.serving.modelMetadata(c.model, c.version)) }),
    },
    {
      method: 'GET',
      url: `${model}/ready`,
      summary: 'Model ready',
      handle: (c) => ({ ok: c.serving.modelReady(c.model, c.version) }),
    },
    {
      method: 'POST',
      url: `${model}/infer`,
      summary: 'Inference',
      handle: async (c) => {
        const { request, binaryOutput } = decodeInferRequest(c.body, c, c.headers);
        const response = await c.serving.infer(request);
        const encoded = encodeInferResponse(response, binaryOutput);
        // RFC 9211 Cache-Status: whether the response cache answered.
        const cacheStatus = response.cached ? 'strata; hit' : 'strata; fwd=miss';
        return { encoded: { ...encoded, headers: { ...encoded.headers, 'cache-status': cacheStatus } } };
      },
    },
    {
      method: 'POST',
      url: '/repository/index',
      summary: 'Model repository index',
      handle: async (c) => ({ json: (await c.serving.repositoryIndex(indexOptions(c.body))).map(indexJson) }),
    },
    {
      method: 'POST',
      url: '/repository/models/:model/load',
      summary: 'Load or reload a model',
      handle: async (c) => {
        checkLoadParameters(c.body);
        await c.serving.load(c.model);
        return { ok: true };
      },
    },
    {
      method: 'POST',
      url: '/repository/models/:model/unload',
      summary: 'Unload a model',
      handle: async (c) => {
        await c.serving.unload(c.model);
        return { ok: true };
      },
    },
  ];
}

function metadataJson(metadata: ModelMetadata): unknown {
  // The protocol lists versions as strings.
  return { ...metadata, versions: metadata.versions.map(String) };
}

function indexJson(entry: RepositoryEntry): unknown {
  return {
    name: entry.name,
    ...(entry.version === undefined ? {} : { version: String(entry.version) }),
    state: entry.state,
    reason: entry.reason,
  };
}

function indexOptions(body: unknown): { ready?: boolean } {
  if (body === undefined) return {};
  const ready = typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['ready'] : null;
  if (ready !== undefined && typeof ready !== 'boolean') {
    throw new StrataError('INVALID_ARGUMENT', 'the index request must be {"ready": true|false} or empty');
  }
  return ready === undefined ? {} : { ready };
}

/**
 * Triton's load may carry a replacement model config or model files as parameters; Strata loads
 * only what the repository holds, and says so rather than loading something else than asked.
 */
function checkLoadParameters(body: unknown): void {
  const parameters =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)['parameters'] : undefined;
  if (typeof parameters !== 'object' || parameters === null) return;
  for (const key of Object.keys(parameters)) {
    if (key === 'config' || key.startsWith('file:')) {
      throw new StrataError(
        'INVALID_ARGUMENT',
        `load parameter '${key}' is not supported; change the model in the model repository, then load it`,
      );
    }
  }
}

/** A `:version` path segment: the protocol's versions are positive integers. */
function parseVersion(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const version = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(version) || version < 1) {
    throw new StrataError('INVALID_ARGUMENT', `model version '${text}' must be a positive integer`);
  }
  return version;
}

/** Header values as one string each (repeated headers joined as HTTP allows), names lower-case. */
function headerRecord(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) record[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return record;
}

function send(reply: FastifyReply, answer: Answer): FastifyReply {
  if ('ok' in answer) return reply.status(answer.ok ? 200 : 400).send();
  if ('encoded' in answer) {
    const { headers, contentType, body } = answer.encoded;
    return reply.headers(headers).type(contentType).send(body);
  }
  return reply.send(answer.json);
}

function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * The Open Inference Protocol (KServe V2) REST API under /v2 over the serving procedures, so that
 * Triton's and KServe's clients work unchanged. Routes only translate: JSON tensors to typed
 * arrays and back (src/serving/v2/codec.ts), errors to the protocol's `{"error"}` objects (envelope.ts).
 */
export async function registerInferenceRoutes(
  app: FastifyInstance,
  serving: ServingProcedures,
  options: InferenceRoutesOptions = {},
): Promise<void> {
  const version = options.version ?? packageVersion();
  await app.register(
    async (scope) => {
      installInferenceConventions(scope);
      for (const route of inferenceRoutes(version)) {
        const urls = route.url.startsWith(model)
          ? [route.url, route.url.replace(model, `${model}/versions/:version`)]
          : [route.url];
        for (const url of urls) {
          scope.route<{ Params: { model?: string; version?: string } }>({
            method: route.method,
            url,
            schema: { summary: route.summary, tags: ['inference (Open Inference Protocol)'] },
            handler: async (request, reply) => {
              const call: Call = {
                serving: guardServing(serving, request.caller),
                model: request.params.model ?? '',
                version: parseVersion(request.params.version),
                body: request.body,
                headers: headerRecord(request.headers),
              };
              return send(reply, await route.handle(call));
            },
          });
        }
      }
    },
    { prefix: '/v2' },
  );
}
