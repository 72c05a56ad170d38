import { ServerCredentials } from '@grpc/grpc-js';
import { secureContextOptions } from './server-certificate.js';
import type { ServerCertificates } from './server-certificates.js';

/**
 * gRPC's TLS credentials over the same reloaded certificate as HTTPS. grpc-js's `createSsl` fixes
 * its certificate at bind time; the base class instead lets credentials push new secure context
 * options to the servers bound with them (which call `setSecureContext`, as the HTTPS listener
 * does), the mechanism of grpc-js's own certificate providers, without a second file watcher.
 */
export class ReloadingServerCredentials extends ServerCredentials {
  constructor(certificates: ServerCertificates) {
    const mode = certificates.config.clientCertificates;
    super(
      { requestCert: mode !== 'none', rejectUnauthorized: mode === 'require' },
      secureContextOptions(certificates.current),
    );
    certificates.onReload((certificate) => {
      this.updateSecureContextOptions(secureContextOptions(certificate));
    });
  }

  /** grpc-js compares credentials when a port is bound again; these are equal only to themselves. */
  override _equals(other: ServerCredentials): boolean {
    return other === this;
  }
}
