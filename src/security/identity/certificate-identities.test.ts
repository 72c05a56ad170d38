import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStrataError } from '../../kernel/index.js';
import { CertificateIdentities } from './certificate-identities.js';

const fingerprint = 'AB:'.repeat(31) + 'CD';
const other = '12:'.repeat(31) + '34';

function rejection(run: () => unknown): { code: string; reason: unknown; message: string } {
  try {
    run();
  } catch (error) {
    assert.ok(isStrataError(error));
    return { code: error.code, reason: error.details?.['reason'], message: error.message };
  }
  assert.fail('expected a rejection');
}

describe('CertificateIdentities', () => {
  const identities = new CertificateIdentities([
    { fingerprint256: fingerprint.replaceAll(':', '').toLowerCase(), tenant: 'acme', roles: ['admin'] },
    { commonName: 'reporting', tenant: 'default', roles: ['viewer'] },
    { commonName: 'ingest', fingerprint256: other, tenant: 'default', roles: ['editor'] },
  ]);

  it('maps a common name to its tenant and roles, with subject cert:<CN>', () => {
    assert.deepEqual(identities.identify({ commonName: 'reporting', fingerprint256: other }), {
      subject: 'cert:reporting',
      tenant: 'default',
      roles: ['viewer'],
      via: 'mtls',
    });
  });

  it('pins a fingerprint whatever its case and colons; without a CN the subject is the fingerprint', () => {
    const identity = identities.identify({ fingerprint256: fingerprint });
    assert.equal(identity.tenant, 'acme');
    assert.equal(identity.subject, `cert:${fingerprint.replaceAll(':', '')}`);
  });

  it('needs every field an entry names to match, and takes the first entry that does', () => {
    assert.deepEqual(identities.identify({ commonName: 'ingest', fingerprint256: other }).roles, ['editor']);
    const wrongPin = rejection(() =>
      identities.identify({ commonName: 'ingest', fingerprint256: '00'.repeat(32) }),
    );
    assert.equal(wrongPin.reason, 'unknown_certificate');
    assert.deepEqual(identities.identify({ commonName: 'ingest', fingerprint256: fingerprint }).roles, [
      'admin',
    ]);
  });

  it('refuses a certificate no entry maps: UNAUTHENTICATED unknown_certificate, naming it', () => {
    const refused = rejection(() => identities.identify({ commonName: 'stranger', fingerprint256: other }));
    assert.equal(refused.code, 'UNAUTHENTICATED');
    assert.equal(refused.reason, 'unknown_certificate');
    assert.match(refused.message, /CN=stranger \(SHA-256 (12:){31}34\) is valid but maps to no identity/);
    assert.equal(
      rejection(() => new CertificateIdentities().identify({ fingerprint256: other })).reason,
      'unknown_certificate',
    );
  });

  it('refuses an entry that names neither a common name nor a fingerprint', () => {
    const refused = rejection(() => new CertificateIdentities([{ tenant: 'acme', roles: ['admin'] }]));
    assert.equal(refused.code, 'CONFIG_INVALID');
    assert.match(
      refused.message,
      /security\.identity\.certificates\[0\] must name a commonName, a fingerprint256 or both/,
    );
  });
});
