import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Metadata, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition, type Options, type ServiceDefinition } from '@grpc/proto-loader';

/** The protocol file of server reflection (grpc.reflection.v1), as @grpc/reflection ships it. */
export const reflectionProtoPath = createRequire(import.meta.url).resolve(
  '@grpc/reflection/build/proto/grpc/reflection/v1/reflection.proto',
);

/** One method of a service in a .proto file, ready for a generic client's make*Request. */
export function grpcMethod(
  protoPath: string,
  service: string,
  name: string,
  options: Options = { keepCase: true, enums: String },
): MethodDefinition<object, object> {
  const method = (loadSync(protoPath, options)[service] as ServiceDefinition | undefined)?.[name];
  assert.ok(method !== undefined && 'path' in method, `${service}/${name} in ${protoPath}`);
  return method;
}

/** One unary call; rejects with the call's ServiceError. */
export function unaryCall(
  client: Client,
  method: MethodDefinition<object, object>,
  request: object,
  metadata = new Metadata(),
  deadlineMs = 5_000,
): Promise<object> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      { deadline: Date.now() + deadlineMs },
      (error, response) => {
        if (error !== null) reject(error);
        else if (response === undefined) reject(new Error(`${method.path} answered nothing`));
        else resolve(response);
      },
    );
  });
}

/** Metadata holding `entries`. */
export function metadataOf(entries: Readonly<Record<string, string>> = {}): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}

type GeneratedUnary = (
  request: unknown,
  metadata: Metadata,
  options: { deadline?: number },
  callback: (error: Error | null, response: unknown) => void,
) => void;

/**
 * A unary method of a client made by loadPackageDefinition, by its name in the .proto, as a
 * promise; rejects with the call's ServiceError.
 */
export function callMethod<T>(
  client: Client,
  method: string,
  request: unknown = {},
  metadata: Readonly<Record<string, string>> = {},
  deadlineMs?: number,
): Promise<T> {
  const unary = (client as Client & Record<string, unknown>)[method] as GeneratedUnary;
  return new Promise<T>((resolve, reject) => {
    unary.call(
      client,
      request,
      metadataOf(metadata),
      deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs },
      (error, response) => {
        if (error !== null) reject(error);
        else resolve(response as T);
      },
    );
  });
}

/** The services a server lists through server reflection. */
export async function reflectedServices(client: Client): Promise<string[]> {
  const reflect = grpcMethod(
    reflectionProtoPath,
    'grpc.reflection.v1.ServerReflection',
    'ServerReflectionInfo',
  );
  const call: ClientDuplexStream<object, object> = client.makeBidiStreamRequest(
    reflect.path,
    reflect.requestSerialize,
    reflect.responseDeserialize,
  );
  call.end({ list_services: '' });
  const services: string[] = [];
  for await (const message of call) {
    const { list_services_response } = message as {
      list_services_response?: { service: { name: string }[] };
    };
    services.push(...(list_services_response?.service.map((service) => service.name) ?? []));
  }
  return services;
}
