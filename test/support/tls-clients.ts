import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TLSSocket, connect } from 'node:tls';
import { Client, Metadata, type ChannelCredentials, type ServiceError } from '@grpc/grpc-js';
import type { MethodDefinition } from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import { protoLoadOptions, inferenceProtoPath } from '../../src/gateway/index.js';
import type { TestCertificate } from './certificates.js';
import { grpcMethod, unaryCall } from './grpc.js';

// Clients for TLS tests: each call makes its own handshake, so that it sees the certificate the
// server holds now, and says which certificate that was.

export interface Answer {
  readonly status: number;
  readonly body: string;
  readonly headers: IncomingHttpHeaders;
  /** The server certificate this connection got. */
  readonly fingerprint256: string;
}

export interface CallOptions {
  readonly method?: string;
  /** Trust this CA; Node's default trust store otherwise (which knows no test CA). */
  readonly ca?: TestCertificate;
  /** Present this client certificate. */
  readonly client?: TestCertificate;
  readonly apiKey?: string;
  readonly body?: unknown;
}

/** One HTTPS request on a fresh connection (agent: false), so that every call makes a handshake. */
export function call(url: string, path: string, options: CallOptions = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.apiKey !== undefined) headers['authorization'] = `Bearer ${options.apiKey}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  return new Promise((resolve, reject) => {
    const outgoing = httpsRequest(
      url + path,
      {
        method: options.method ?? 'GET',
        agent: false,
        headers,
        ...(options.ca === undefined ? {} : { ca: options.ca.cert }),
        ...(options.client === undefined ? {} : { cert: options.client.cert, key: options.client.key }),
      },
      (response) => {
        const socket = response.socket;
        assert.ok(socket instanceof TLSSocket);
        const fingerprint256 = socket.getPeerCertificate().fingerprint256;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks).toString(),
            headers: response.headers,
            fingerprint256,
          });
        });
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(options.body === undefined ? undefined : JSON.stringify(options.body));
  });
}

/** The certificate a TLS listener presents to a new connection (`h2` for the gRPC port). */
export async function servedFingerprint(port: number, ca: TestCertificate, alpn?: string): Promise<string> {
  const socket = await openTls(port, ca, alpn);
  const fingerprint = socket.getPeerCertificate().fingerprint256;
  socket.destroy();
  return fingerprint;
}

/** A TLS connection to a local port that trusts `ca`, open for the caller to use and destroy. */
export function openTls(port: number, ca: TestCertificate, alpn?: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      ca: ca.cert,
      ...(alpn === undefined ? {} : { ALPNProtocols: [alpn] }),
    });
    socket.once('secureConnect', () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** `grpc.health.v1.Health/Check` for the whole server over `channel`; rejects as the call fails. */
export function healthCheck(port: number, channel: ChannelCredentials): Promise<unknown> {
  return unary(port, channel, grpcMethod(healthProtoPath, 'grpc.health.v1.Health', 'Check'), { service: '' });
}

/**
 * One `inference.GRPCInferenceService` call over `channel`, with `metadata`; resolves with the
 * status code (0 for OK) so that tests compare refusals and successes alike.
 */
export async function inferenceStatus(
  port: number,
  channel: ChannelCredentials,
  method: string,
  request: object,
  metadata: Readonly<Record<string, string>> = {},
): Promise<number> {
  const rpc = grpcMethod(inferenceProtoPath, 'inference.GRPCInferenceService', method, protoLoadOptions);
  const md = new Metadata();
  for (const [key, value] of Object.entries(metadata)) md.set(key, value);
  try {
    await unary(port, channel, rpc, request, md);
    return 0;
  } catch (error) {
    return (error as ServiceError).code;
  }
}

async function unary(
  port: number,
  channel: ChannelCredentials,
  method: MethodDefinition<object, object>,
  request: object,
  metadata = new Metadata(),
): Promise<object> {
  // The certificate names localhost too; an IP address as TLS server name is deprecated (RFC 6066).
  const client = new Client(`127.0.0.1:${port}`, channel, { 'grpc.ssl_target_name_override': 'localhost' });
  try {
    return await unaryCall(client, method, request, metadata);
  } finally {
    client.close();
  }
}
