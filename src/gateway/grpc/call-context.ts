import type { Metadata, ServerUnaryCall } from '@grpc/grpc-js';
import { StrataError } from '../../kernel/index.js';
import { peerAddress, type Credentials, type RouteClass, type SecurityModule } from '../../security/index.js';
import { authenticate, IdentityCaller, requestIdOf } from '../procedures/caller.js';
import { clientCertificateOf } from '../tls/client-certificate.js';

/**
 * What a gRPC service needs from a call before it reaches the procedures: the caller the
 * credentials in its metadata prove (`authorization: Bearer <key>` or `api-key: <key>`, as the
 * HTTP headers; docs/decisions/0008) or its verified client certificate, admitted by the rate
 * limits, and the metadata as headers.
 */

/** What every kind of call has: its metadata and its connection's auth context. */
type ServerSurfaceCall = Pick<ServerUnaryCall<unknown, unknown>, 'metadata' | 'getAuthContext' | 'getPeer'>;

/** A metadata entry's first text value; binary (`-bin`) entries carry no credentials. */
function first(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  return typeof value === 'string' ? value : undefined;
}

function metadataCredentialsOf(metadata: Metadata): Credentials {
  return { authorization: first(metadata, 'authorization'), apiKey: first(metadata, 'api-key') };
}

/**
 * The call's credentials: its metadata's, and its connection's client certificate when the TLS
 * handshake verified it (grpc-js gives `sslPeerCertificate` only then), as HTTP takes them; its
 * peer's address as their source.
 */
export function credentialsOf(call: ServerSurfaceCall): Credentials {
  const peer = call.getAuthContext().sslPeerCertificate;
  return {
    ...metadataCredentialsOf(call.metadata),
    clientCertificate: peer === undefined ? undefined : clientCertificateOf(peer),
    source: peerAddress(call.getPeer()),
  };
}

/** Text metadata as request headers (for A/B routing by header), repeated values joined as HTTP does. */
export function headersOf(metadata: Metadata): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [key, values] of Object.entries(metadata.getMap())) {
    if (typeof values === 'string') headers[key] = values;
  }
  for (const key of Object.keys(headers)) {
    const all = metadata.get(key).filter((v): v is string => typeof v === 'string');
    if (all.length > 1) headers[key] = all.join(', ');
  }
  return headers;
}

/**
 * The call's caller, or undefined when authentication is off. A missing or bad credential is
 * UNAUTHENTICATED (with its audit record); an empty bucket RATE_LIMITED, as on HTTP, the buckets
 * of `routeClass` included.
 */
export async function callerOf(
  security: SecurityModule | undefined,
  call: ServerSurfaceCall,
  path: string,
  routeClass: RouteClass,
): Promise<IdentityCaller | undefined> {
  if (security?.enabled !== true) return undefined;
  const requestId = requestIdOf(first(call.metadata, 'x-request-id'));
  const headerCredentials = metadataCredentialsOf(call.metadata);
  const identity =
    security.authenticateNow(headerCredentials) ??
    (await authenticate(security, credentialsOf(call), { requestId, resource: path }));
  await security.admit(identity, routeClass);
  return new IdentityCaller(requestId, identity, security);
}

/**
 * Settles like `work`, or with DEADLINE_EXCEEDED once the call's deadline passes (grpc-js sends
 * that status itself; this ends the handler's wait so that nothing is written after it). A call
 * whose deadline has already passed does no work.
 */
export async function withinDeadline<T>(deadline: Date | number, work: () => Promise<T>): Promise<T> {
  const at = deadline instanceof Date ? deadline.getTime() : deadline;
  if (!Number.isFinite(at)) return work();
  const left = at - Date.now();
  if (left <= 0) throw deadlineExceeded();
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(deadlineExceeded());
    }, left);
  });
  try {
    return await Promise.race([work(), expired]);
  } finally {
    clearTimeout(timer);
  }
}

function deadlineExceeded(): StrataError {
  return new StrataError(
    'DEADLINE_EXCEEDED',
    'the deadline of the call passed before the answer was ready; give it more time',
  );
}
