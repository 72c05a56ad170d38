import { Agent, request } from 'node:http';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { Pool } from 'undici';
import { closedLoop, type Call, type LoadResult } from './closed-loop.js';

/**
 * The HTTP load generator: closed-loop callers in a worker thread of their own, so that the
 * client's work (building requests, reading answers) does not run on the event loop of the
 * server it measures, as it would not in production. Node's fetch, node:http, or undici's own
 * connection pool (the lightest of the three: about half node:http's CPU per request), all
 * keeping connections alive.
 */
export type HttpClient = 'fetch' | 'node' | 'undici';

export interface LoadJob {
  /** Path and query on the server, e.g. `/v2/models/mlp/infer`. */
  readonly path: string;
  /** Request bodies, sent in turn; none means GET. */
  readonly bodies: readonly Uint8Array[];
  /** Headers of every request (a POST's Content-Type included). */
  readonly headers: Readonly<Record<string, string>>;
  readonly concurrency: number;
  readonly seconds: number;
}

interface Setup {
  readonly url: string;
  readonly client: HttpClient;
}

type Reply = { readonly result: LoadResult } | { readonly error: string };

export class HttpLoad {
  readonly #worker: Worker;

  private constructor(worker: Worker) {
    this.#worker = worker;
  }

  static start(url: string, client: HttpClient): HttpLoad {
    return new HttpLoad(
      new Worker(new URL(import.meta.url), { workerData: { url, client } satisfies Setup }),
    );
  }

  /** One job at a time: the caller awaits each before the next. */
  run(job: LoadJob): Promise<LoadResult> {
    return new Promise((resolve, reject) => {
      this.#worker.once('message', (reply: Reply) => {
        if ('error' in reply) reject(new Error(reply.error));
        else resolve(reply.result);
      });
      this.#worker.postMessage(job);
    });
  }

  async close(): Promise<void> {
    await this.#worker.terminate();
  }
}

/** What a client's send gives back: the status and the whole answer. */
type Send = (body: Uint8Array | undefined) => Promise<{ status: number; answer: ArrayBuffer }>;

// Sends the job's bodies in turn (none: GET); an answer other than 200 fails the pass.
function sending(job: LoadJob, send: Send): Call {
  return async (i) => {
    const { status, answer } = await send(job.bodies[i % job.bodies.length]);
    if (status !== 200) throw new Error(`HTTP ${status}: ${Buffer.from(answer).toString().slice(0, 300)}`);
  };
}

const methodOf = (job: LoadJob): string => (job.bodies.length === 0 ? 'GET' : 'POST');

function fetchCall(url: string, job: LoadJob): Call {
  return sending(job, async (body) => {
    const response = await fetch(url + job.path, {
      method: methodOf(job),
      headers: job.headers,
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.status, answer: await response.arrayBuffer() };
  });
}

function nodeCall(url: string, job: LoadJob, agent: Agent): Call {
  const target = new URL(job.path, url);
  return (i) =>
    new Promise<void>((resolve, reject) => {
      const body = job.bodies[i % job.bodies.length];
      const headers = body === undefined ? job.headers : { ...job.headers, 'content-length': body.length };
      const call = request(target, { method: methodOf(job), agent, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          if (response.statusCode === 200) resolve();
          else
            reject(
              new Error(`HTTP ${response.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`),
            );
        });
      });
      call.on('error', reject);
      call.end(body);
    });
}

// undici 7.30 or later (package.json): 7.29.0, the version @qdrant/js-client-rest pins for
// itself, takes about 1.3 ms to answer a lone caller that 7.30 answers in 0.07 ms.
function undiciCall(job: LoadJob, pool: Pool): Call {
  return sending(job, async (body) => {
    const response = await pool.request({
      path: job.path,
      method: methodOf(job),
      headers: job.headers,
      ...(body === undefined ? {} : { body }),
    });
    return { status: response.statusCode, answer: await response.body.arrayBuffer() };
  });
}

if (!isMainThread && parentPort !== null) {
  const port = parentPort;
  const { url, client } = workerData as Setup;
  const agent = new Agent({ keepAlive: true });
  // One undici pool for every job, with a connection per caller of the largest job so far.
  let pool: Pool | undefined;
  let connections = 0;
  const poolFor = (callers: number): Pool => {
    if (pool === undefined || callers > connections) {
      void pool?.close();
      connections = callers;
      pool = new Pool(url, { connections });
    }
    return pool;
  };
  port.on('message', (job: LoadJob) => {
    const call =
      client === 'fetch'
        ? fetchCall(url, job)
        : client === 'node'
          ? nodeCall(url, job, agent)
          : undiciCall(job, poolFor(job.concurrency));
    closedLoop(call, job.concurrency, job.seconds).then(
      (result) => {
        port.postMessage({ result } satisfies Reply, [result.latencies.buffer as ArrayBuffer]);
      },
      (error: unknown) => {
        port.postMessage({ error: error instanceof Error ? error.message : String(error) } satisfies Reply);
      },
    );
  });
}
