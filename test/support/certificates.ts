import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A PEM certificate and its key on disk, with the fingerprint a TLS peer reports for it. */
export interface TestCertificate {
  readonly certFile: string;
  readonly keyFile: string;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256, colon-separated upper-case hex, as Node's `getPeerCertificate()` gives it. */
  readonly fingerprint256: string;
}

export interface TestAuthority extends TestCertificate {
  /** A certificate signed by this authority. */
  issue(name: string, commonName: string, usage: 'serverAuth' | 'clientAuth'): TestCertificate;
}

function openssl(args: readonly string[]): void {
  execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function loaded(certFile: string, keyFile: string): TestCertificate {
  const cert = readFileSync(certFile);
  const key = readFileSync(keyFile);
  return { certFile, keyFile, cert, key, fingerprint256: new X509Certificate(cert).fingerprint256 };
}

/**
 * A throwaway certificate authority in `dir`, made with the openssl CLI: P-256 keys (fast to
 * generate), valid for a day. Server certificates name 127.0.0.1 and localhost.
 */
export function createAuthority(dir: string, name: string): TestAuthority {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  // prettier-ignore
  openssl([
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${name}`,
  ]);
  const authority = loaded(certFile, keyFile);
  return {
    ...authority,
    issue(leaf, commonName, usage) {
      const leafCert = join(dir, `${leaf}.crt`);
      const leafKey = join(dir, `${leaf}.key`);
      const request = join(dir, `${leaf}.csr`);
      const extensions = join(dir, `${leaf}.ext`);
      const names = usage === 'serverAuth' ? 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' : '';
      writeFileSync(extensions, `${names}extendedKeyUsage=${usage}\nbasicConstraints=CA:FALSE\n`);
      // prettier-ignore
      openssl([
        'req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', leafKey, '-out', request, '-subj', `/CN=${commonName}`,
      ]);
      // prettier-ignore
      openssl([
        'x509', '-req', '-in', request, '-CA', certFile, '-CAkey', keyFile, '-out', leafCert,
        '-days', '1', '-set_serial', String(Date.now()), '-extfile', extensions,
      ]);
      return loaded(leafCert, leafKey);
    },
  };
}
