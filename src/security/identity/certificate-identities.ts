import { StrataError } from '../../kernel/index.js';
import { unauthenticated, type Identity } from './identity.js';

/** A client certificate the TLS handshake verified, as the transport found it. */
export interface ClientCertificate {
  /** The subject's common name (CN), when it has one. */
  readonly commonName?: string | undefined;
  /** SHA-256 of the DER certificate, hex (with or without colons, any case). */
  readonly fingerprint256: string;
}

/** A configured mapping from client certificates to a tenant and roles. */
export interface CertificateMapping {
  readonly commonName?: string | undefined;
  readonly fingerprint256?: string | undefined;
  readonly tenant: string;
  readonly roles: readonly string[];
}

const normalize = (fingerprint: string): string => fingerprint.replaceAll(':', '').toUpperCase();

/**
 * Client certificates as identities (mTLS). The CA decides which certificates are genuine; this
 * table decides what a genuine one may act as. An entry matches when every field it names matches
 * (a common name admits every certificate the CA issues to that name, so rotation needs no change;
 * a fingerprint pins one certificate); the first matching entry wins.
 */
export class CertificateIdentities {
  readonly #mappings: readonly CertificateMapping[];

  /** @throws StrataError CONFIG_INVALID for an entry that names neither a common name nor a fingerprint. */
  constructor(mappings: readonly CertificateMapping[] = []) {
    const empty = mappings.findIndex((m) => m.commonName === undefined && m.fingerprint256 === undefined);
    if (empty !== -1) {
      throw new StrataError(
        'CONFIG_INVALID',
        `security.identity.certificates[${empty}] must name a commonName, a fingerprint256 or both: without either it would admit every certificate the CA signed`,
        { details: { key: `security.identity.certificates[${empty}]` } },
      );
    }
    this.#mappings = mappings.map((m) =>
      m.fingerprint256 === undefined ? m : { ...m, fingerprint256: normalize(m.fingerprint256) },
    );
  }

  /**
   * The identity of a verified certificate: subject `cert:<CN>`, or `cert:<fingerprint>` without
   * a CN. Throws UNAUTHENTICATED (`unknown_certificate`) when no entry matches.
   */
  identify(certificate: ClientCertificate): Identity {
    const fingerprint = normalize(certificate.fingerprint256);
    const mapping = this.#mappings.find(
      (m) =>
        (m.commonName === undefined || m.commonName === certificate.commonName) &&
        (m.fingerprint256 === undefined || m.fingerprint256 === fingerprint),
    );
    const name = certificate.commonName ?? fingerprint;
    if (mapping === undefined) {
      throw unauthenticated(
        `the client certificate ${certificate.commonName === undefined ? '' : `CN=${certificate.commonName} `}(SHA-256 ${certificate.fingerprint256}) is valid but maps to no identity: add it to security.identity.certificates, or send an API key`,
        'unknown_certificate',
      );
    }
    return { subject: `cert:${name}`, tenant: mapping.tenant, roles: mapping.roles, via: 'mtls' };
  }
}
