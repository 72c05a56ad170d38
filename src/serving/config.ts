import { Type, type Static } from '@sinclair/typebox';

/** The serving module's configuration. */
export const servingConfigSchema = Type.Object(
  {
    repository: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'Model repository directory (`<model>/config.yaml` and `<model>/<version>/`). Default: `<dataDir>/models`.',
      }),
    ),
    startupModels: Type.Array(Type.String({ minLength: 1 }), {
      default: ['*'],
      description:
        'Models loaded at start: `*` for every model in the repository, or names. Others are loaded through the API or `strata models load`.',
    }),
    responseCacheBytes: Type.Integer({
      minimum: 0,
      default: 64 * 1024 * 1024,
      description: 'Size bound of the response cache shared by the models that enable `response_cache`.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type ServingConfig = Static<typeof servingConfigSchema>;
