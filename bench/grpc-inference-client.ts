import { once } from 'node:events';
import { Client, credentials, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { inferenceProtoPath, protoLoadOptions } from '../src/gateway/index.js';
import { grpcMethod } from '../test/support/grpc.js';

/**
 * A benchmark's client of inference.GRPCInferenceService, as tritonclient calls it: ModelInfer
 * one call per request, or ModelStreamInfer with many requests in flight on one stream.
 */

/** The ModelInferResponse fields read here, as @grpc/proto-loader decodes them with protoLoadOptions. */
export interface InferAnswer {
  readonly id: string;
  readonly raw_output_contents: readonly Buffer[];
}

interface StreamAnswer {
  readonly error_message: string;
  readonly infer_response: InferAnswer | null;
}

const service = 'inference.GRPCInferenceService';
const unaryMethod = grpcMethod(inferenceProtoPath, service, 'ModelInfer', protoLoadOptions);
const streamMethod = grpcMethod(inferenceProtoPath, service, 'ModelStreamInfer', protoLoadOptions);

/** One ModelInfer call. No deadline, as tritonclient sends none unless given a timeout. */
export function modelInfer(client: Client, message: object): Promise<InferAnswer> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      unaryMethod.path,
      unaryMethod.requestSerialize,
      unaryMethod.responseDeserialize,
      message,
      (error: ServiceError | null, answer?: object) => {
        if (error !== null) reject(error);
        else resolve(answer as InferAnswer);
      },
    );
  });
}

/** The first output, sent raw (as the server answers raw inputs). */
export function outputOf(answer: InferAnswer): Float32Array {
  const raw = answer.raw_output_contents[0];
  if (raw === undefined) throw new Error('the answer has no raw_output_contents');
  return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
}

/**
 * Calls over one ModelStreamInfer stream: each message carries a fresh id and its call resolves
 * with the answer carrying that id back, since the server answers each as soon as it completes,
 * in any order.
 */
export class InferStream {
  readonly #client: Client;
  readonly #stream: ClientDuplexStream<object, object>;
  readonly #waiting = new Map<
    string,
    { resolve: (answer: InferAnswer) => void; reject: (e: Error) => void }
  >();
  #ids = 0;
  #failed: Error | undefined;

  constructor(address: string) {
    this.#client = new Client(address, credentials.createInsecure());
    this.#stream = this.#client.makeBidiStreamRequest(
      streamMethod.path,
      streamMethod.requestSerialize,
      streamMethod.responseDeserialize,
    );
    this.#stream.on('data', (message: StreamAnswer) => {
      const answer = message.infer_response;
      const waiter = this.#waiting.get(answer?.id ?? '');
      // A failed request's answer carries no id, so nothing can go on after it.
      if (answer === null || message.error_message !== '' || waiter === undefined)
        this.#fail(new Error(`ModelStreamInfer answered ${JSON.stringify(message).slice(0, 300)}`));
      else {
        this.#waiting.delete(answer.id);
        waiter.resolve(answer);
      }
    });
    this.#stream.on('error', (error: Error) => {
      this.#fail(error);
    });
  }

  infer(message: object): Promise<InferAnswer> {
    if (this.#failed !== undefined) return Promise.reject(this.#failed);
    const id = String(this.#ids++);
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      this.#stream.write({ ...message, id });
    });
  }

  /** Ends the stream once every answer is in, as the server ends it. */
  async close(): Promise<void> {
    if (this.#failed === undefined) {
      const status = once(this.#stream, 'status');
      this.#stream.end();
      await status;
    }
    this.#client.close();
  }

  #fail(error: Error): void {
    this.#failed = error;
    for (const waiter of this.#waiting.values()) waiter.reject(error);
    this.#waiting.clear();
  }
}
