import { Type, type Static } from '@sinclair/typebox';
import { serverConfigSchema } from '../../gateway/index.js';
import { loggingConfigSchema } from '../../observability/index.js';
import { StringEnum } from '../../kernel/index.js';
import { securityConfigSchema } from '../../security/index.js';
import { servingConfigSchema } from '../../serving/index.js';
import { vectorConfigSchema } from '../../vector/index.js';
import { targetNames } from '../module-names.js';

/** Marks a value that `config print` and logs must never show (passwords inside URLs included). */
const secret = { 'x-secret': true } as const;

const backendUrl = (description: string, defaultUrl: string) =>
  Type.String({ minLength: 1, default: defaultUrl, description, ...secret });

const backendsConfigSchema = Type.Object(
  {
    postgres: Type.Object(
      {
        url: backendUrl(
          'PostgreSQL connection URL, for the stores that keep state in PostgreSQL.',
          'postgres://postgres@127.0.0.1:5432/test',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    redis: Type.Object(
      {
        url: backendUrl(
          'Redis URL, for shared rate limits and the Redis online store.',
          'redis://127.0.0.1:6379',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
    nats: Type.Object(
      {
        url: backendUrl(
          'NATS URL (JetStream enabled), for shared logs and event triggers.',
          'nats://127.0.0.1:4222',
        ),
      },
      { additionalProperties: false, default: {} },
    ),
  },
  { additionalProperties: false, default: {} },
);

/**
 * The whole configuration. Each context declares its own section next to its code; this root only
 * composes them. Every object forbids unknown keys so that a typo fails at start, not silently.
 */
export const configSchema = Type.Object(
  {
    target: Type.Array(StringEnum(targetNames), {
      minItems: 1,
      uniqueItems: true,
      default: ['all'],
      description: 'Modules this process runs: `all`, or one or more of the deployable targets.',
    }),
    dataDir: Type.String({
      minLength: 1,
      default: './data',
      description: 'Directory holding all local state (write-ahead logs, snapshots, model repository).',
    }),
    server: serverConfigSchema,
    logging: loggingConfigSchema,
    vector: vectorConfigSchema,
    serving: servingConfigSchema,
    security: securityConfigSchema,
    backends: backendsConfigSchema,
  },
  { additionalProperties: false },
);

export type StrataConfig = Static<typeof configSchema>;
