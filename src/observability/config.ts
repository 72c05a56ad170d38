import { Type, type Static } from '@sinclair/typebox';
import { StringEnum, logLevels } from '../kernel/index.js';

export const loggingConfigSchema = Type.Object(
  {
    level: StringEnum(logLevels, {
      default: 'info',
      description: 'Least severe log level written (JSON lines on standard output).',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type LoggingConfig = Static<typeof loggingConfigSchema>;
