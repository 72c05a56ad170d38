import { StrataError, toStrataError, type Logger } from '../../kernel/index.js';
import type { TlsConfig } from '../config.js';
import {
  readTlsFiles,
  toServerCertificate,
  type ServerCertificate,
  type TlsFiles,
} from './server-certificate.js';

type ReloadListener = (certificate: ServerCertificate) => void;

/**
 * The server certificate both listeners serve, reloaded from its files without a restart. Every
 * `reloadIntervalMs` the files are read and compared byte for byte with the last read (a few KB;
 * unlike modification times, bytes cannot miss a replacement within the same second). Changed
 * files that load replace the certificate for new handshakes; changed files that do not load are
 * logged once, naming the file, and the current certificate stays: a bad deploy never takes the
 * listeners down. Writing the certificate and then the key may log one mismatch in between.
 */
export class ServerCertificates {
  readonly #listeners: ReloadListener[] = [];
  #current: ServerCertificate;
  /** The last read's bytes, or its error message: what a change is measured against. */
  #lastRead: TlsFiles | string;
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;

  private constructor(
    readonly config: TlsConfig,
    private readonly logger: Logger,
    initial: ServerCertificate,
  ) {
    this.#current = initial;
    this.#lastRead = initial;
  }

  /** Loads the files once; a problem is CONFIG_INVALID at start, naming the file or the setting. */
  static async load(config: TlsConfig, logger: Logger): Promise<ServerCertificates> {
    if (config.clientCertificates !== 'none' && config.caFile === undefined) {
      throw new StrataError(
        'CONFIG_INVALID',
        `server.tls.clientCertificates is '${config.clientCertificates}' but server.tls.caFile is not set: set caFile to the CA bundle that client certificates must chain to, or set clientCertificates to 'none'`,
        { details: { key: 'server.tls.caFile' } },
      );
    }
    const certificate = toServerCertificate(config, await readTlsFiles(config));
    return new ServerCertificates(config, logger, certificate);
  }

  get current(): ServerCertificate {
    return this.#current;
  }

  /** Called with each certificate that replaces the current one. */
  onReload(listener: ReloadListener): void {
    this.#listeners.push(listener);
  }

  /** Starts watching the files (unless `reloadIntervalMs` is 0); the timer keeps no process alive. */
  start(): void {
    if (this.config.reloadIntervalMs === 0 || this.#timer !== undefined) return;
    this.#timer = setInterval(() => {
      this.#checking ??= this.reload().finally(() => {
        this.#checking = undefined;
      });
    }, this.config.reloadIntervalMs);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking;
  }

  /** Reads the files now and swaps in their certificate if they changed and load. Never throws. */
  async reload(): Promise<void> {
    let files: TlsFiles;
    try {
      files = await readTlsFiles(this.config);
    } catch (error) {
      const failure = toStrataError(error);
      // The same unreadable file is reported once, not at every interval.
      if (this.#lastRead === failure.message) return;
      this.#lastRead = failure.message;
      this.#failed(failure);
      return;
    }
    // Unchanged bytes are either the current certificate or a replacement already reported.
    if (typeof this.#lastRead !== 'string' && sameFiles(files, this.#lastRead)) return;
    this.#lastRead = files;
    let certificate: ServerCertificate;
    try {
      certificate = toServerCertificate(this.config, files);
    } catch (error) {
      this.#failed(toStrataError(error));
      return;
    }
    this.#current = certificate;
    for (const listener of this.#listeners) {
      try {
        listener(certificate);
      } catch (error) {
        // Checked by OpenSSL above, so not expected; but a timer's throw would end the process.
        this.#failed(toStrataError(error));
      }
    }
    this.logger.info(
      {
        subject: certificate.subject,
        fingerprint256: certificate.fingerprint256,
        validTo: certificate.validTo,
      },
      'TLS certificate reloaded; new connections get it',
    );
  }

  #failed(error: StrataError): void {
    this.logger.error(
      { file: error.details?.['file'], err: error },
      'TLS certificate reload failed; still serving the current certificate',
    );
  }
}

function sameFiles(a: TlsFiles, b: TlsFiles): boolean {
  const same = (x: Buffer | undefined, y: Buffer | undefined) =>
    x === undefined || y === undefined ? x === y : x.equals(y);
  return same(a.cert, b.cert) && same(a.key, b.key) && same(a.ca, b.ca);
}
