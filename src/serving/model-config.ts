import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { StrataError, StringEnum } from '../kernel/index.js';
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

const versionPolicySchema = Type.Union([
  Type.Object(
    { latest: Type.Object({ num_versions: Type.Integer({ minimum: 1 }) }) },
    { additionalProperties: false },
  ),
  Type.Object({ all: Type.Object({}) }, { additionalProperties: false }),
  Type.Object(
    { specific: Type.Object({ versions: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1 }) }) },
    { additionalProperties: false },
  ),
]);

const warmupSchema = Type.Object(
  {
    /** Rows per warm-up request (ignored when the model does not batch). */
    batch_size: Type.Integer({ minimum: 1, default: 1 }),
    /** Requests to send before the version is marked ready. */
    count: Type.Integer({ minimum: 1, default: 1 }),
    /** Zero-filled (or empty-string) inputs, or ones drawn at random. */
    data: StringEnum(['zero', 'random'], { default: 'zero' }),
  },
  { additionalProperties: false },
);

export const modelConfigSchema = Type.Object(
  {
    backend: StringEnum(backendNames),
    max_batch_size: Type.Integer({ minimum: 0, default: 0 }),
    inputs: Type.Array(tensorSpecSchema, { default: [] }),
    outputs: Type.Array(tensorSpecSchema, { default: [] }),
    dynamic_batching: Type.Optional(
      Type.Object(
        {
          max_queue_delay_us: Type.Integer({ minimum: 0, default: 500 }),
          preferred_batch_sizes: Type.Array(Type.Integer({ minimum: 1 }), { default: [] }),
        },
        { additionalProperties: false },
      ),
    ),
    queue: Type.Object(
      {
        max_size: Type.Integer({ minimum: 1, default: 1024 }),
        /** A request still queued after this long fails with QUEUE_TIMEOUT; 0 waits forever. */
        timeout_us: Type.Integer({ minimum: 0, default: 0 }),
        /** Priority levels 1 (highest) .. priority_levels. */
        priority_levels: Type.Integer({ minimum: 1, default: 1 }),
        default_priority: Type.Integer({ minimum: 1, default: 1 }),
      },
      { additionalProperties: false, default: {} },
    ),
    instance_count: Type.Integer({ minimum: 1, default: 1 }),
    version_policy: Type.Optional(versionPolicySchema),
    warmup: Type.Optional(warmupSchema),
    response_cache: Type.Object(
      { enabled: Type.Boolean({ default: false }) },
      { additionalProperties: false, default: {} },
    ),
    traffic: Type.Optional(
      Type.Object(
        {
          /** Requests without a version go to `stable`, except `weight` percent to `canary`. */
          canary: Type.Optional(
            Type.Object(
              {
                stable: Type.Integer({ minimum: 1 }),
                canary: Type.Integer({ minimum: 1 }),
                weight: Type.Number({ minimum: 0, maximum: 100 }),
                /** Send everything to `stable` once the canary's error rate exceeds this (0..1). */
                rollback_error_rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
                rollback_min_requests: Type.Integer({ minimum: 1, default: 20 }),
              },
              { additionalProperties: false },
            ),
          ),
          /** A/B: the value of `header` picks the version; other requests follow the rest of the policy. */
          ab: Type.Optional(
            Type.Object(
              {
                header: Type.String({ minLength: 1 }),
                versions: Type.Record(Type.String(), Type.Integer({ minimum: 1 })),
              },
              { additionalProperties: false },
            ),
          ),
          /** Mirrors `percent` of the requests to `version`; its answers are compared, then dropped. */
          shadow: Type.Optional(
            Type.Object(
              {
                version: Type.Integer({ minimum: 1 }),
                percent: Type.Number({ minimum: 0, maximum: 100, default: 100 }),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    onnx: Type.Object(
      {
        file: Type.String({ minLength: 1, default: 'model.onnx' }),
        execution_provider: StringEnum(['cpu', 'cuda'], { default: 'cpu' }),
        intra_op_threads: Type.Integer({ minimum: 1, default: 1 }),
        /**
         * After answering, an instance's worker polls for the next request this long (µs) before
         * it sleeps: a request arriving meanwhile skips the thread wake-up (~0.1 ms). Costs up to
         * this much CPU per idle gap; 0 turns it off.
         */
        poll_us: Type.Integer({ minimum: 0, maximum: 10_000, default: 200 }),
      },
      { additionalProperties: false, default: {} },
    ),
    typescript: Type.Object(
      { file: Type.String({ minLength: 1, default: 'model.js' }) },
      { additionalProperties: false, default: {} },
    ),
    remote: Type.Optional(
      Type.Object(
        {
          url: Type.String({ minLength: 1 }),
          /** The model's name on the remote server; defaults to this model's name. */
          model: Type.Optional(Type.String({ minLength: 1 })),
          /** Environment variable holding the bearer token, read when the model loads. */
          api_key_env: Type.Optional(Type.String({ minLength: 1 })),
          timeout_ms: Type.Integer({ minimum: 1, default: 30_000 }),
        },
        { additionalProperties: false },
      ),
    ),
    /** Serve this model through the OpenAI API as well. */
    openai: Type.Optional(
      Type.Object(
        {
          embedding: Type.Optional(
            Type.Object(
              { input: Type.String({ minLength: 1 }), output: Type.String({ minLength: 1 }) },
              { additionalProperties: false },
            ),
          ),
          /** `/v1/chat/completions` for this model is forwarded to the remote server. */
          chat: Type.Boolean({ default: false }),
        },
        { additionalProperties: false },
      ),
    ),
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
