import { Type, type Static } from '@sinclair/typebox';

const port = (description: string, defaultPort: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description });

/** The edges: where the HTTP and gRPC listeners bind and how they shut down. */
export const serverConfigSchema = Type.Object(
  {
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description:
        'Address the HTTP and gRPC listeners bind to. Use 0.0.0.0 in a container so that other hosts can reach it.',
    }),
    httpPort: port('HTTP port (REST, /metrics, /docs). 0 picks a free port.', 8080),
    grpcPort: port('gRPC port. 0 picks a free port.', 50051),
    bodyLimitBytes: Type.Integer({
      minimum: 1024,
      default: 16 * 1024 * 1024,
      description: 'Largest accepted HTTP request body, in bytes; larger bodies get 413 PAYLOAD_TOO_LARGE.',
    }),
    grpcMaxMessageBytes: Type.Integer({
      minimum: 1024,
      default: 64 * 1024 * 1024,
      description: 'Largest gRPC message received or sent, in bytes.',
    }),
    corsOrigins: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'Origins whose browser pages may call the HTTP API (CORS), e.g. https://app.example.com; `*` for any. None when absent: browsers refuse cross-origin calls.',
      }),
    ),
    shutdownGracePeriodMs: Type.Integer({
      minimum: 0,
      default: 30_000,
      description:
        'On SIGTERM or SIGINT, how long in-flight HTTP and gRPC requests may take to finish before connections are closed.',
    }),
  },
  { additionalProperties: false, default: {} },
);

export type ServerConfig = Static<typeof serverConfigSchema>;
