import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { StrataError, StringEnum, tenantIdPattern } from '../kernel/index.js';
import { datatypes } from './tensor.js';

/**
 * A model's configuration file, `<repository>/<model>/config.{json,yaml,yml}`. Field names follow
 * Triton's model configuration (snake_case, `max_batch_size`, `dynamic_batching`,
 * `version_policy`, `instance_group` → `instance_count`) so that a Triton user reads it at once.
 * As in Triton, when `max_batch_size` > 0 the declared shapes leave out the batch dimension.
 */
const tensorSpecSchema = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    datatype: StringEnum(datatypes),
    shape: Type.Array(Type.Integer({ minimum: -1 }), { description: '-1 marks a dimension of any size' }),
  },
  { additionalProperties: false },
);

export const backendNames = ['onnx', 'typescript', 'remote-oip', 'remote-openai'] as const;
export type BackendName = (typeof backendNames)[number];

const versionPolicySchema = Type.Union(
  [
    Type.Object(
      { latest: Type.Object({ num_versions: Type.Integer({ minimum: 1 }) }) },
      { additionalProperties: false },
    ),
    Type.Object({ all: Type.Object({}) }, { additionalProperties: false }),
    Type.Object(
      { specific: Type.Object({ versions: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }) }) },
      { additionalProperties: false },
    ),
  ],
  {
    description:
      'Which versions to load: `{latest: {num_versions: N}}`, `{all: {}}` or `{specific: {versions: [...]}}`. Default: the latest one.',
  },
);

const warmupSchema = Type.Object(
  {
    batch_size: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'Rows per warm-up request (ignored when the model does not batch).',
    }),
    count: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'Warm-up requests each instance runs before the version reports ready.',
    }),
    data: StringEnum(['zero', 'random'], {
      default: 'zero',
      description: 'Zero-filled (empty-string) inputs, or random ones.',
    }),
  },
  { additionalProperties: false },
);

export const modelConfigSchema = Type.Object(
  {
    backend: StringEnum(backendNames, { description: 'What runs the model.' }),
    max_batch_size: Type.Integer({
      minimum: 0,
      default: 0,
      description:
        'Rows one execution may carry. > 0: requests carry a leading batch dimension that the declared shapes leave out. 0: no batch dimension.',
    }),
    inputs: Type.Array(tensorSpecSchema, {
      default: [],
      description:
        '`{name, datatype, shape}` per input (-1 = any size). ONNX models may omit them: they are read from the model.',
    }),
    outputs: Type.Array(tensorSpecSchema, { default: [], description: 'As `inputs`, for the outputs.' }),
    dynamic_batching: Type.Optional(
      Type.Object(
        {
          max_queue_delay_us: Type.Integer({
            minimum: 0,
            default: 500,
            description: 'How long a request may wait for others to fill its batch.',
          }),
          preferred_batch_sizes: Type.Array(Type.Integer({ minimum: 1 }), {
            default: [],
            description: 'Batch sizes dispatched at once, without waiting for max_queue_delay_us.',
          }),
        },
        { additionalProperties: false, description: 'Merge concurrent requests (needs max_batch_size > 0).' },
      ),
    ),
    queue: Type.Object(
      {
        max_size: Type.Integer({
          minimum: 1,
          default: 1024,
          description: 'Queued requests beyond this are refused with OVERLOADED (429, Retry-After).',
        }),
        timeout_us: Type.Integer({
          minimum: 0,
          default: 0,
          description:
            "A request still queued after this long fails with QUEUE_TIMEOUT (503, Retry-After); 0 waits forever. A request's `timeout` parameter overrides it.",
        }),
        priority_levels: Type.Integer({
          minimum: 1,
          default: 1,
          description: "Priority levels 1 (highest) .. N, chosen by a request's `priority` parameter.",
        }),
        default_priority: Type.Integer({
          minimum: 1,
          default: 1,
          description: 'The priority of requests that name none.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    instance_count: Type.Integer({
      minimum: 1,
      default: 1,
      description: 'Concurrent executions per version (one worker thread each for ONNX).',
    }),
    version_policy: Type.Optional(versionPolicySchema),
    warmup: Type.Optional(warmupSchema),
    response_cache: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description:
            'Answer repeated identical requests from the shared cache (`serving.responseCacheBytes`); for deterministic models.',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    traffic: Type.Optional(
      Type.Object(
        {
          canary: Type.Optional(
            Type.Object(
              {
                stable: Type.Integer({ minimum: 1, description: 'The version most requests go to.' }),
                canary: Type.Integer({ minimum: 1, description: 'The version under test.' }),
                weight: Type.Number({
                  minimum: 0,
                  maximum: 100,
                  description: 'Percent of unversioned requests sent to the canary.',
                }),
                rollback_error_rate: Type.Optional(
                  Type.Number({
                    minimum: 0,
                    maximum: 1,
                    description:
                      "Once the canary's rate of failed requests (server-side failures) exceeds this, all traffic goes to stable.",
                  }),
                ),
                rollback_min_requests: Type.Integer({
                  minimum: 1,
                  default: 20,
                  description: 'Canary requests seen before the error rate is judged.',
                }),
              },
              { additionalProperties: false },
            ),
          ),
          ab: Type.Optional(
            Type.Object(
              {
                header: Type.String({
                  minLength: 1,
                  description: 'The request header that picks the version.',
                }),
                versions: Type.Record(Type.String(), Type.Integer({ minimum: 1 }), {
                  description: 'Header value → version; other values follow the rest of the policy.',
                }),
              },
              { additionalProperties: false },
            ),
          ),
          shadow: Type.Optional(
            Type.Object(
              {
                version: Type.Integer({
                  minimum: 1,
                  description: 'Receives a copy of requests; its answers are compared, then dropped.',
                }),
                percent: Type.Number({
                  minimum: 0,
                  maximum: 100,
                  default: 100,
                  description: 'Percent of requests mirrored.',
                }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false, description: 'Routing of requests that name no version.' },
      ),
    ),
    onnx: Type.Object(
      {
        file: Type.String({
          minLength: 1,
          default: 'model.onnx',
          description: 'The model file in each version directory.',
        }),
        execution_provider: StringEnum(['cpu', 'cuda'], {
          default: 'cpu',
          description: "ONNX Runtime's execution provider; `cuda` where its CUDA libraries are installed.",
        }),
        intra_op_threads: Type.Integer({
          minimum: 1,
          default: 1,
          description: 'Threads one execution may use.',
        }),
        poll_us: Type.Integer({
          minimum: 0,
          maximum: 10_000,
          default: 200,
          description:
            "After answering, the instance's worker polls this long for the next request before it sleeps, so back-to-back requests skip the thread wake-up (~0.1 ms). Costs up to this much CPU per idle gap; 0 turns it off.",
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    typescript: Type.Object(
      {
        file: Type.String({
          minLength: 1,
          default: 'model.js',
          description: 'The handler module in each version directory (compiled JavaScript).',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    remote: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 1, description: 'Base URL of the remote server.' }),
          model: Type.Optional(
            Type.String({ minLength: 1, description: "The model's name there; default: this model's name." }),
          ),
          api_key_env: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'Environment variable holding the bearer token, read when the model loads.',
            }),
          ),
          timeout_ms: Type.Integer({
            minimum: 1,
            default: 30_000,
            description: 'Time allowed without progress from the remote server.',
          }),
        },
        { additionalProperties: false, description: 'For remote-oip and remote-openai.' },
      ),
    ),
    openai: Type.Optional(
      Type.Object(
        {
          embedding: Type.Optional(
            Type.Object(
              {
                input: Type.String({ minLength: 1, description: 'The BYTES input that takes the texts.' }),
                output: Type.String({ minLength: 1, description: 'The output holding one vector per text.' }),
              },
              { additionalProperties: false, description: 'Serve `/v1/embeddings` with this model.' },
            ),
          ),
          chat: Type.Boolean({
            default: false,
            description:
              'Forward `/v1/chat/completions` for this model to its remote OpenAI-compatible server.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    tenants: Type.Array(Type.Union([Type.String({ pattern: tenantIdPattern }), Type.Literal('*')]), {
      minItems: 1,
      default: ['default'],
      description:
        'Tenants whose callers may see and use this model (docs/decisions/0008); `*` for every tenant. Callers of other tenants get 404 as for a model that is not there.',
    }),
  },
  { additionalProperties: false },
);

export type ModelConfig = Static<typeof modelConfigSchema>;
export type VersionPolicy = NonNullable<ModelConfig['version_policy']>;

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile<ModelConfig>(modelConfigSchema);

export const configFileNames = ['config.yaml', 'config.yml', 'config.json'] as const;

/** Validates a parsed configuration, filling defaults; `source` names it in the error. */
export function parseModelConfig(value: unknown, source: string): ModelConfig {
  const copy: unknown = structuredClone(value);
  if (!validate(copy)) {
    const problems = (validate.errors ?? []).map(
      (e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message ?? 'is invalid'}`,
    );
    throw new StrataError('CONFIG_INVALID', `model config ${source}: ${problems.join('; ')}`, {
      details: { source, problems },
    });
  }
  const config = copy;
  checkConsistency(config, source);
  return config;
}

function checkConsistency(config: ModelConfig, source: string): void {
  const fail = (message: string): never => {
    throw new StrataError('CONFIG_INVALID', `model config ${source}: ${message}`, { details: { source } });
  };
  if ((config.backend === 'remote-oip' || config.backend === 'remote-openai') && config.remote === undefined)
    fail(`backend ${config.backend} needs a 'remote' section with the server's url`);
  if (config.queue.default_priority > config.queue.priority_levels)
    fail(`queue.default_priority ${String(config.queue.default_priority)} exceeds queue.priority_levels`);
  const preferred = config.dynamic_batching?.preferred_batch_sizes ?? [];
  for (const size of preferred)
    if (size > config.max_batch_size) fail(`preferred batch size ${String(size)} exceeds max_batch_size`);
  if (config.dynamic_batching !== undefined && config.max_batch_size === 0)
    fail('dynamic_batching needs max_batch_size > 0');
}

/** Reads `<modelDir>/config.{yaml,yml,json}`; NOT_FOUND when there is none. */
export async function readModelConfig(modelDir: string): Promise<ModelConfig> {
  for (const name of configFileNames) {
    const path = join(modelDir, name);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = name.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    } catch (error) {
      throw new StrataError('CONFIG_INVALID', `model config ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return parseModelConfig(parsed, path);
  }
  throw new StrataError('NOT_FOUND', `no config.yaml, config.yml or config.json in ${modelDir}`);
}
