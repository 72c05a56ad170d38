import { Server, ServerCredentials } from '@grpc/grpc-js';
import { loadSync, type PackageDefinition } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { HealthImplementation, protoPath as healthProtoPath } from 'grpc-health-check';
import type { Logger } from '../../kernel/index.js';
import type { SecurityModule } from '../../security/index.js';
import type { ServerConfig } from '../config.js';

/** `grpc.health.v1` answers for the empty service name with the state of the whole process. */
const wholeServer = '';

/**
 * The gRPC listener with `grpc.health.v1` and server reflection (v1 and v1alpha). Services added
 * later are reflected too: reflection is attached at start, over every package registered by then.
 */
export class GrpcEdge {
  readonly server: Server;
  readonly #health = new HealthImplementation({ [wholeServer]: 'NOT_SERVING' });
  readonly #packages: PackageDefinition[] = [];
  /** Services that `grpc.health.v1` reports by name, each following the process's readiness. */
  readonly #healthServices = new Set<string>([wholeServer]);
  #serving = false;
  #port: number | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly logger: Logger,
    /** TLS credentials with `server.tls`; plaintext without. */
    private readonly credentials: ServerCredentials = ServerCredentials.createInsecure(),
    /** What services authenticate their calls with; health and reflection stay public. */
    readonly security?: SecurityModule,
  ) {
    this.server = new Server({
      'grpc.max_receive_message_length': config.grpcMaxMessageBytes,
      'grpc.max_send_message_length': config.grpcMaxMessageBytes,
    });
    this.#health.addToServer(this.server);
    this.#packages.push(loadSync(healthProtoPath, { keepCase: true }));
  }

  /** Makes a package's services visible to reflection; call before `start`. */
  addReflectedPackage(definition: PackageDefinition): void {
    this.#packages.push(definition);
  }

  /** Makes `grpc.health.v1` answer for a service by its full name, as for the whole server. */
  addHealthService(name: string): void {
    this.#healthServices.add(name);
    this.#health.setStatus(name, this.#serving ? 'SERVING' : 'NOT_SERVING');
  }

  setServing(serving: boolean): void {
    this.#serving = serving;
    for (const name of this.#healthServices)
      this.#health.setStatus(name, serving ? 'SERVING' : 'NOT_SERVING');
  }

  /** The bound port, known once started (useful when configured as 0). */
  get port(): number | undefined {
    return this.#port;
  }

  async start(): Promise<void> {
    new ReflectionService(Object.assign({}, ...this.#packages) as PackageDefinition).addToServer(this.server);
    const host = this.config.host.includes(':') ? `[${this.config.host}]` : this.config.host;
    this.#port = await new Promise<number>((resolve, reject) => {
      this.server.bindAsync(`${host}:${this.config.grpcPort}`, this.credentials, (error, port) => {
        if (error === null) resolve(port);
        else reject(error);
      });
    });
    this.logger.info(
      { address: `${host}:${this.#port}`, tls: this.config.tls !== undefined },
      'gRPC server listening',
    );
  }

  /** Stops accepting calls and resolves once every call in flight has finished. */
  async shutdown(): Promise<void> {
    if (this.#port === undefined) return;
    await new Promise<void>((resolve) => {
      this.server.tryShutdown(() => {
        resolve();
      });
    });
  }

  /** Cancels the calls still in flight. */
  forceShutdown(): void {
    this.server.forceShutdown();
  }
}
