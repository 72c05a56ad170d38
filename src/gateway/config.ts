import { Type, type Static } from '@sinclair/typebox';
import { StringEnum } from '../kernel/index.js';

const port = (description: string, defaultPort: number) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: defaultPort, description });

export const clientCertificateModes = ['none', 'request', 'require'] as const;

/**
 * TLS for both listeners (docs/decisions/0008). An object with a certificate and its key, or
 * nothing: the schema holds both or neither, so a half-configured server cannot start in clear.
 */
const tlsConfigSchema = Type.Object(
  {
    certFile: Type.String({
      minLength: 1,
      description:
        'Server certificate (PEM, the chain after it). Set with keyFile; then the HTTP listener speaks HTTPS only and gRPC TLS only.',
    }),
    keyFile: Type.String({
      minLength: 1,
      description: 'Private key of certFile (PEM, unencrypted, readable only by Strata).',
    }),
    caFile: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'CA certificates (PEM bundle) that client certificates must chain to. Needed when clientCertificates is request or require.',
      }),
    ),
    clientCertificates: StringEnum(clientCertificateModes, {
      default: 'none',
      description:
        'Client certificates (mTLS): `none` asks for none; `request` asks, and a certificate caFile verifies is an identity (security.identity.certificates) while clients without one may still send an API key; `require` refuses connections without a verified certificate.',
    }),
    reloadIntervalMs: Type.Integer({
      minimum: 0,
      default: 60_000,
      description:
        'How often the certificate, key and CA files are read again. Changed files serve new connections without a restart (open ones keep theirs); a replacement that does not load is logged and the current certificate stays. 0: never.',
    }),
  },
  { additionalProperties: false },
);

export type TlsConfig = Static<typeof tlsConfigSchema>;
export type ClientCertificateMode = TlsConfig['clientCertificates'];

/** `/graphql` on the HTTP listener: how large a query may be, and whether GraphiQL is served. */
const graphqlConfigSchema = Type.Object(
  {
    maxDepth: Type.Integer({
      minimum: 1,
      default: 10,
      description:
        'Deepest selection nesting a GraphQL query may have; deeper queries are refused before they run (400 INVALID_ARGUMENT).',
    }),
    maxComplexity: Type.Integer({
      minimum: 1,
      default: 5000,
      description:
        'Largest cost a GraphQL query may have: each field costs 1, times the `limit` (or the list length) of the list it is under. Costlier queries are refused before they run (400 INVALID_ARGUMENT).',
    }),
    graphiql: Type.Boolean({
      default: true,
      description:
        "Serve the GraphiQL page at /graphiql. Its scripts are served from Strata's own files; the page loads nothing from elsewhere.",
    }),
  },
  { additionalProperties: false, default: {} },
);

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
    probePort: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 65535,
        description:
          'A plain-HTTP port serving only /healthz, /readyz and /metrics, for probes and scrapers without a client certificate (with server.tls.clientCertificates `require` the main port refuses them). Absent: none. 0 picks a free port.',
      }),
    ),
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
    trustProxy: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        "Proxies in front of Strata, as addresses, CIDR ranges (`10.0.0.0/8`) or `loopback`, `linklocal`, `uniquelocal`: from them a request's client address is read from `X-Forwarded-For`, for the access log and the failed-authentication buckets. Empty (the default): the connection's address.",
    }),
    tls: Type.Optional(tlsConfigSchema),
    graphql: graphqlConfigSchema,
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
