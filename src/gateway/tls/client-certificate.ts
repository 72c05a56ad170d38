import type { Socket } from 'node:net';
import { TLSSocket, type PeerCertificate } from 'node:tls';
import type { ClientCertificate } from '../../security/index.js';

/**
 * The connection's client certificate, only when the handshake verified it against
 * `server.tls.caFile`. In `request` mode a connection may complete with an unverified certificate
 * (`authorized` false: another CA, expired); that one proves nothing and is not returned.
 */
export function verifiedClientCertificate(socket: Socket): ClientCertificate | undefined {
  if (!(socket instanceof TLSSocket) || !socket.authorized) return undefined;
  return clientCertificateOf(socket.getPeerCertificate());
}

/**
 * A verified peer certificate as security's credential: its fingerprint, and its first common
 * name (Node gives a repeated attribute as an array). gRPC calls hand over the certificate of
 * their connection only when the handshake verified it (grpc-js's auth context).
 */
export function clientCertificateOf(peer: PeerCertificate): ClientCertificate | undefined {
  if (typeof peer.fingerprint256 !== 'string' || peer.fingerprint256 === '') return undefined;
  const commonName: unknown = peer.subject.CN;
  const first = Array.isArray(commonName) ? (commonName[0] as unknown) : commonName;
  return {
    fingerprint256: peer.fingerprint256,
    ...(typeof first === 'string' && first !== '' ? { commonName: first } : {}),
  };
}
