import { after, before } from 'node:test';
import { QdrantClient } from '@qdrant/js-client-rest';
import type { Platform } from '../../src/platform/index.js';
import { startPlatform, tempDataDir } from './platform.js';

/**
 * A platform running the vector module for one test file, with the official Qdrant client on it:
 * started before the file's tests on a data directory of its own and shut down after them. A test
 * may stop it and start it again on the same directory (a restart).
 */
export class VectorPlatform {
  readonly dataDir: string;
  #platform: Platform | undefined;
  #url: string | undefined;
  #client: QdrantClient | undefined;

  /** `settings`: `--set` flags on top of startPlatform's. */
  constructor(
    name: string,
    private readonly settings: Readonly<Record<string, string>> = {},
  ) {
    this.dataDir = tempDataDir(name);
    before(() => this.start());
    after(() => this.stop());
  }

  /** The HTTP base URL of the running platform. */
  get url(): string {
    return this.#started(this.#url);
  }

  get client(): QdrantClient {
    return this.#started(this.#client);
  }

  async start(): Promise<void> {
    const { platform, url } = await startPlatform(this.dataDir, ['vector'], this.settings);
    this.#platform = platform;
    this.#url = url;
    this.#client = new QdrantClient({ url });
  }

  async stop(): Promise<void> {
    await this.#platform?.shutdown();
    this.#platform = undefined;
    this.#url = undefined;
    this.#client = undefined;
  }

  #started<T>(value: T | undefined): T {
    if (value === undefined) throw new Error('the test platform is not running');
    return value;
  }
}
