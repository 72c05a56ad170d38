import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { StrataError } from '../../kernel/index.js';
import type { TlsConfig } from '../config.js';

/** The bytes of the configured files, as last read. */
export interface TlsFiles {
  readonly cert: Buffer;
  readonly key: Buffer;
  readonly ca: Buffer | undefined;
}

/**
 * A certificate, its key and the client CA bundle that load together, with the fields logs may
 * show. It holds the private key: log those fields, never the object.
 */
export interface ServerCertificate extends TlsFiles {
  readonly subject: string;
  readonly fingerprint256: string;
  readonly validTo: string;
}

/** Reads the three files; CONFIG_INVALID names the first one that cannot be read. */
export async function readTlsFiles(config: TlsConfig): Promise<TlsFiles> {
  const [cert, key, ca] = await Promise.all([
    read('certFile', config.certFile),
    read('keyFile', config.keyFile),
    config.caFile === undefined ? undefined : read('caFile', config.caFile),
  ]);
  return { cert, key, ca };
}

/**
 * Checks that the files make a server certificate before any listener uses them: a certificate, a
 * private key that belongs to it, a CA bundle, and OpenSSL's own acceptance of the three together.
 * CONFIG_INVALID names the file to fix (`details.file`); no message quotes the key.
 */
export function toServerCertificate(config: TlsConfig, files: TlsFiles): ServerCertificate {
  const certificate = parse(
    'certFile',
    config.certFile,
    'a PEM certificate',
    () => new X509Certificate(files.cert),
  );
  const key = parse('keyFile', config.keyFile, 'an unencrypted PEM private key', (): KeyObject =>
    createPrivateKey(files.key),
  );
  if (!certificate.checkPrivateKey(key)) {
    throw invalid(
      'keyFile',
      config.keyFile,
      `is not the private key of server.tls.certFile ${config.certFile}`,
    );
  }
  if (files.ca !== undefined && config.caFile !== undefined) {
    parse('caFile', config.caFile, 'PEM CA certificates', () => new X509Certificate(files.ca ?? ''));
  }
  parse('certFile', config.certFile, 'a certificate chain OpenSSL accepts with this key and CA bundle', () =>
    createSecureContext(secureContextOptions(files)),
  );
  return {
    ...files,
    subject: certificate.subject.replaceAll('\n', ', '),
    fingerprint256: certificate.fingerprint256,
    validTo: certificate.validTo,
  };
}

/** What a TLS server's secure context is made of; also what `setSecureContext` swaps in. */
export function secureContextOptions(files: TlsFiles): SecureContextOptions {
  return { cert: files.cert, key: files.key, ...(files.ca === undefined ? {} : { ca: files.ca }) };
}

type TlsFileKey = 'certFile' | 'keyFile' | 'caFile';

async function read(key: TlsFileKey, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw invalid(key, path, `cannot be read: ${(cause as Error).message}`, cause);
  }
}

function parse<T>(key: TlsFileKey, path: string, expected: string, build: () => T): T {
  try {
    return build();
  } catch (cause) {
    throw invalid(key, path, `does not hold ${expected}: ${(cause as Error).message}`, cause);
  }
}

function invalid(key: TlsFileKey, path: string, problem: string, cause?: unknown): StrataError {
  return new StrataError('CONFIG_INVALID', `server.tls.${key} ${path} ${problem}`, {
    details: { key: `server.tls.${key}`, file: path },
    ...(cause === undefined ? {} : { cause }),
  });
}
