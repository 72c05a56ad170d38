import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { Type } from '@sinclair/typebox';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import parsePrometheusTextFormat, { type PrometheusMetricFamily } from 'parse-prometheus-text-format';
import { StrataError, createLogger } from '../../kernel/index.js';
import { createMetricsRegistry } from '../../observability/index.js';
import type { ProblemDetails } from '../errors/http.js';
import { createHttpServer } from './http-server.js';
import type { ModuleReadiness } from './operations.js';
import { testServerConfig } from '../../../test/support/server-config.js';

/** The fields of Strata's log lines that these tests read. */
interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly requestId?: string;
  readonly traceId?: string;
  readonly method?: string;
  readonly url?: string;
  readonly route?: string;
  readonly statusCode?: number;
  readonly durationMs?: number;
  readonly err?: { readonly message: string };
}

// The schema's minimum body limit, so that a small body trips it.
const config = testServerConfig({ bodyLimitBytes: 1024, grpcMaxMessageBytes: 1024 * 1024 });

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const validTraceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

interface TestServer {
  readonly app: FastifyInstance;
  readonly log: LogLine[];
  /** What the readiness probe reports next. */
  modules: readonly ModuleReadiness[];
}

/** A server with a fresh registry and an in-memory log, plus the routes the error tests need. */
async function createTestServer(): Promise<TestServer> {
  const log: LogLine[] = [];
  const logger = createLogger('info', {
    write(line: string) {
      log.push(JSON.parse(line) as LogLine);
    },
  });
  const server: { modules: readonly ModuleReadiness[] } = { modules: [] };
  const app = await createHttpServer({
    config,
    logger,
    registry: createMetricsRegistry(),
    readiness: () => server.modules,
    version: '0.0.0-test',
  });
  app.post('/things', { schema: { body: Type.Object({ name: Type.String() }) } }, async () => ({
    created: true,
  }));
  app.get('/fail/plain', async () => {
    throw new Error('secret internal path /etc/x');
  });
  app.get('/fail/strata', async () => {
    throw new StrataError('NOT_FOUND', 'collection x not found');
  });
  await app.ready();
  return Object.assign(server, { app, log });
}

/** Access lines of one request. Read after a turn of the event loop: they are written on `finish`. */
async function accessLines(server: TestServer, requestId: string): Promise<LogLine[]> {
  await nextTurn();
  return server.log.filter((line) => line.requestId === requestId && line.msg === 'request completed');
}

async function onlyAccessLine(server: TestServer, requestId: string): Promise<LogLine> {
  const lines = await accessLines(server, requestId);
  assert.equal(lines.length, 1, `exactly one access line for ${requestId}`);
  const [line] = lines;
  assert.ok(line !== undefined);
  return line;
}

function requestIdOf(response: LightMyRequestResponse): string {
  const id = response.headers['x-request-id'];
  assert.equal(typeof id, 'string', 'x-request-id response header');
  return String(id);
}

function problemOf(response: LightMyRequestResponse, status: number): ProblemDetails {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const problem = response.json<ProblemDetails>();
  assert.equal(problem.status, status);
  assert.equal(problem.type, `urn:strata:error:${problem.code}`);
  assert.equal(problem.requestId, requestIdOf(response));
  return problem;
}

describe('HTTP server', () => {
  let server: TestServer;
  before(async () => {
    server = await createTestServer();
  });
  after(() => server.app.close());

  describe('health', () => {
    it('answers /healthz with ok', async () => {
      const response = await server.app.inject({ url: '/healthz' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), { status: 'ok' });
    });

    it('answers /readyz with 200 when every module is running', async () => {
      server.modules = [
        { name: 'server', state: 'running' },
        { name: 'vector', state: 'running' },
      ];
      const response = await server.app.inject({ url: '/readyz' });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        status: 'ready',
        modules: { server: 'running', vector: 'running' },
      });
    });

    it('answers /readyz with 503 NOT_READY naming each module that is not running', async () => {
      server.modules = [
        { name: 'server', state: 'running' },
        { name: 'vector', state: 'starting' },
        { name: 'serving', state: 'failed' },
      ];
      const problem = problemOf(await server.app.inject({ url: '/readyz' }), 503);
      assert.equal(problem.code, 'NOT_READY');
      assert.equal(problem.retryable, true);
      assert.match(problem.detail, /vector \(starting\)/);
      assert.match(problem.detail, /serving \(failed\)/);
      assert.doesNotMatch(problem.detail, /server \(/);
      assert.deepEqual(problem.details, {
        modules: { server: 'running', vector: 'starting', serving: 'failed' },
      });
    });
  });

  describe('request id and access log', () => {
    it('echoes a valid x-request-id and logs it on exactly one access line', async () => {
      const response = await server.app.inject({ url: '/healthz', headers: { 'x-request-id': 'abc-123' } });
      assert.equal(response.headers['x-request-id'], 'abc-123');
      const line = await onlyAccessLine(server, 'abc-123');
      assert.deepEqual(
        server.log.filter((entry) => entry.requestId === 'abc-123'),
        [line],
        'no other line (such as Fastify\'s "incoming request")',
      );
      assert.equal(line.method, 'GET');
      assert.equal(line.url, '/healthz');
      assert.equal(line.route, '/healthz');
      assert.equal(line.statusCode, 200);
      assert.equal(typeof line.durationMs, 'number');
      assert.ok((line.durationMs ?? -1) >= 0);
    });

    for (const [name, given] of [
      ['contains a space', 'abc 123'],
      ['is 200 characters long', 'a'.repeat(200)],
    ] as const) {
      it(`replaces an x-request-id that ${name} with a UUID`, async () => {
        const response = await server.app.inject({ url: '/healthz', headers: { 'x-request-id': given } });
        const id = requestIdOf(response);
        assert.match(id, uuid);
        await onlyAccessLine(server, id);
        assert.equal(server.log.filter((line) => line.requestId === given).length, 0);
      });
    }

    it('generates a fresh id per request when none is given', async () => {
      const first = requestIdOf(await server.app.inject({ url: '/healthz' }));
      const second = requestIdOf(await server.app.inject({ url: '/healthz' }));
      assert.match(first, uuid);
      assert.notEqual(first, second);
    });
  });

  describe('trace context', () => {
    it('puts the traceparent trace id on the access line', async () => {
      const response = await server.app.inject({
        url: '/healthz',
        headers: { traceparent: validTraceparent },
      });
      const line = await onlyAccessLine(server, requestIdOf(response));
      assert.equal(line.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    });

    for (const [name, traceparent] of [
      ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
      ['a malformed header', '00-4bf92f3577b34da6a3ce929d0e0e4736-01'],
    ] as const) {
      it(`ignores ${name}`, async () => {
        const response = await server.app.inject({ url: '/healthz', headers: { traceparent } });
        const line = await onlyAccessLine(server, requestIdOf(response));
        assert.equal('traceId' in line, false);
      });
    }
  });

  describe('errors', () => {
    it('answers an unknown route with 404 ROUTE_NOT_FOUND', async () => {
      const url = '/no/such/route?x=1';
      const problem = problemOf(await server.app.inject({ url }), 404);
      assert.equal(problem.code, 'ROUTE_NOT_FOUND');
      assert.equal(problem.type, 'urn:strata:error:ROUTE_NOT_FOUND');
      assert.equal(problem.instance, url);
    });

    it('accepts a valid body (the route the body tests use works)', async () => {
      const response = await server.app.inject({ method: 'POST', url: '/things', payload: { name: 'x' } });
      assert.equal(response.statusCode, 200, response.body);
      assert.deepEqual(response.json(), { created: true });
    });

    it('answers invalid JSON with 400 MALFORMED_REQUEST', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'application/json' },
        payload: '{"name":',
      });
      assert.equal(problemOf(response, 400).code, 'MALFORMED_REQUEST');
    });

    it('answers a body that violates the schema with 400 INVALID_ARGUMENT naming the field', async () => {
      const response = await server.app.inject({ method: 'POST', url: '/things', payload: { other: 1 } });
      const problem = problemOf(response, 400);
      assert.equal(problem.code, 'INVALID_ARGUMENT');
      assert.match(problem.detail, /name/);
    });

    it('answers a body over bodyLimitBytes with 413 PAYLOAD_TOO_LARGE', async () => {
      const payload = { name: 'x'.repeat(config.bodyLimitBytes) };
      const response = await server.app.inject({ method: 'POST', url: '/things', payload });
      assert.equal(problemOf(response, 413).code, 'PAYLOAD_TOO_LARGE');
    });

    it('answers an unsupported content type with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const response = await server.app.inject({
        method: 'POST',
        url: '/things',
        headers: { 'content-type': 'text/xml' },
        payload: '<name>x</name>',
      });
      assert.equal(problemOf(response, 415).code, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('hides the message of an unexpected error from the client and logs it', async () => {
      const response = await server.app.inject({ url: '/fail/plain' });
      const problem = problemOf(response, 500);
      assert.equal(problem.code, 'INTERNAL');
      assert.doesNotMatch(response.body, /secret|\/etc\/x/);
      const requestId = requestIdOf(response);
      const failure = server.log.find(
        (line) => line.requestId === requestId && line.msg === 'request failed',
      );
      assert.equal(failure?.err?.message, 'secret internal path /etc/x');
      await onlyAccessLine(server, requestId);
    });

    it('answers a StrataError with its status and message', async () => {
      const problem = problemOf(await server.app.inject({ url: '/fail/strata' }), 404);
      assert.equal(problem.code, 'NOT_FOUND');
      assert.equal(problem.detail, 'collection x not found');
      assert.equal(problem.instance, '/fail/strata');
    });
  });

  describe('/metrics', () => {
    let families: Map<string, PrometheusMetricFamily>;
    before(async () => {
      await server.app.inject({ url: '/healthz' });
      await server.app.inject({ url: '/not-a-route' });
      const response = await server.app.inject({ url: '/metrics' });
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      families = new Map(parsePrometheusTextFormat(response.body).map((family) => [family.name, family]));
    });

    function family(name: string, type: PrometheusMetricFamily['type']): PrometheusMetricFamily {
      const found = families.get(name);
      assert.ok(found !== undefined, `${name} is exported`);
      assert.equal(found.type, type);
      return found;
    }

    it('exports the process metrics', () => {
      family('process_cpu_user_seconds_total', 'COUNTER');
      family('process_resident_memory_bytes', 'GAUGE');
    });

    it('counts requests by route pattern and status', () => {
      const samples = family('strata_http_requests_total', 'COUNTER').metrics;
      const healthz = samples.find(
        (sample) =>
          sample.labels?.['route'] === '/healthz' &&
          sample.labels['status_code'] === '200' &&
          sample.labels['method'] === 'GET',
      );
      assert.ok(healthz !== undefined, 'a sample for GET /healthz 200');
      assert.ok(Number(healthz.value) >= 1);
    });

    it('labels unmatched requests `unmatched`, never with the raw URL', () => {
      const routes = family('strata_http_requests_total', 'COUNTER').metrics.map(
        (sample) => sample.labels?.['route'],
      );
      assert.ok(routes.includes('unmatched'));
      assert.ok(!routes.includes('/not-a-route'));
    });

    it('exports the request duration histogram with its buckets', () => {
      const [sample] = family('strata_http_request_duration_seconds', 'HISTOGRAM').metrics;
      const bounds = Object.keys(sample?.buckets ?? {});
      for (const bound of ['0.0005', '0.1', '10', '+Inf'])
        assert.ok(bounds.includes(bound), `bucket ${bound}`);
    });

    it('counts in-flight requests: the scrape itself, and nothing finished', () => {
      const samples = family('strata_http_requests_in_flight', 'GAUGE').metrics;
      const byRoute = new Map(samples.map((sample) => [sample.labels?.['route'], Number(sample.value)]));
      assert.equal(byRoute.get('/metrics'), 1);
      assert.equal(byRoute.get('/healthz'), 0);
      assert.equal(byRoute.get('unmatched'), 0);
    });
  });

  describe('API description', () => {
    it('serves OpenAPI 3.1 with the operational routes and without its own', async () => {
      const document = (await server.app.inject({ url: '/openapi.json' })).json<{
        openapi: string;
        paths: Record<string, unknown>;
      }>();
      assert.equal(document.openapi, '3.1.0');
      const paths = Object.keys(document.paths);
      for (const path of ['/healthz', '/readyz', '/metrics']) assert.ok(paths.includes(path), path);
      for (const path of paths) {
        assert.ok(path !== '/openapi.json' && !path.startsWith('/docs'), `${path} is hidden`);
      }
    });

    for (const entry of ['/docs', '/docs/']) {
      it(`serves ${entry} from the package itself, with no CDN`, async () => {
        const origin = 'http://strata.test';
        let page = new URL(entry, origin);
        let response = await server.app.inject({ url: page.pathname });
        for (let hops = 0; response.statusCode >= 300 && response.statusCode < 400 && hops < 5; hops++) {
          page = new URL(String(response.headers.location), page);
          response = await server.app.inject({ url: page.pathname });
        }
        assert.equal(response.statusCode, 200);
        assert.match(String(response.headers['content-type']), /^text\/html/);

        const references = [...response.body.matchAll(/\b(?:src|href)\s*=\s*["']([^"']*)["']/g)].map(
          ([, reference]) => reference ?? '',
        );
        assert.ok(references.length > 0, 'the page references its scripts and styles');
        for (const reference of references) {
          assert.doesNotMatch(reference, /^(?:https?:)?\/\//i, `${reference} is served by Strata`);
          const asset = new URL(reference, page);
          assert.equal(asset.origin, origin, reference);
          if (!asset.pathname.startsWith('/docs/static/')) continue;
          const assetResponse = await server.app.inject({ url: asset.pathname });
          assert.equal(assetResponse.statusCode, 200, asset.pathname);
        }
      });
    }
  });
});

describe('HTTP server: what browsers are told', () => {
  async function server(corsOrigins?: string[]): Promise<FastifyInstance> {
    const app = await createHttpServer({
      config: { ...config, ...(corsOrigins === undefined ? {} : { corsOrigins }) },
      logger: createLogger('silent'),
      registry: createMetricsRegistry(),
      readiness: () => [],
      version: '0.0.0-test',
    });
    await app.ready();
    return app;
  }

  it('sends an API response the short security set, with a policy that lets it load nothing', async () => {
    const app = await server();
    for (const url of ['/healthz', '/v2/nothing-here']) {
      const response = await app.inject({ url });
      assert.equal(response.headers['content-security-policy'], "default-src 'none'; frame-ancestors 'none'");
      assert.equal(response.headers['x-content-type-options'], 'nosniff');
      assert.equal(response.headers['x-frame-options'], 'DENY');
      assert.equal(response.headers['referrer-policy'], 'no-referrer');
      assert.equal(response.headers['cross-origin-resource-policy'], 'same-origin');
      // Helmet's headers for HTML documents are left off an API response, and HSTS off plain HTTP.
      for (const documentOnly of [
        'x-dns-prefetch-control',
        'x-download-options',
        'strict-transport-security',
      ])
        assert.equal(response.headers[documentOnly], undefined, `${url}: ${documentOnly}`);
    }
    await app.close();
  });

  it("sends the API documentation page helmet's headers for documents, its own script policy kept", async () => {
    const app = await server();
    const response = await app.inject({ url: '/docs/' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['cross-origin-opener-policy'], 'same-origin');
    assert.match(String(response.headers['content-security-policy']), /script-src 'self'/);
    assert.equal(response.headers['strict-transport-security'], undefined);
    await app.close();
  });

  it('answers cross-origin calls only from the configured origins, exposing the rate-limit headers', async () => {
    const preflight = (app: FastifyInstance, origin: string) =>
      app.inject({
        method: 'OPTIONS',
        url: '/healthz',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const closed = await server();
    assert.equal(
      (await preflight(closed, 'https://app.example')).headers['access-control-allow-origin'],
      undefined,
    );
    await closed.close();

    const open = await server(['https://app.example']);
    const allowed = await preflight(open, 'https://app.example');
    assert.equal(allowed.statusCode, 204);
    assert.equal(allowed.headers['access-control-allow-origin'], 'https://app.example');
    assert.match(String(allowed.headers['access-control-allow-headers']), /authorization/);
    assert.equal(
      (await preflight(open, 'https://evil.example')).headers['access-control-allow-origin'],
      undefined,
    );
    const simple = await open.inject({ url: '/healthz', headers: { origin: 'https://app.example' } });
    assert.match(String(simple.headers['access-control-expose-headers']), /ratelimit-remaining/);
    await open.close();
  });
});

describe('HTTP server: client addresses behind a proxy', () => {
  async function server(trustProxy: string[]): Promise<{ app: FastifyInstance; log: LogLine[] }> {
    const log: LogLine[] = [];
    const logger = createLogger('info', {
      write(line: string) {
        log.push(JSON.parse(line) as LogLine);
      },
    });
    const app = await createHttpServer({
      config: { ...config, trustProxy },
      logger,
      registry: createMetricsRegistry(),
      readiness: () => [],
      version: '0.0.0-test',
    });
    await app.ready();
    return { app, log };
  }

  async function clientAddress(trustProxy: string[], remoteAddress: string): Promise<unknown> {
    const { app, log } = await server(trustProxy);
    const response = await app.inject({
      url: '/healthz',
      remoteAddress,
      headers: { 'x-forwarded-for': '198.51.100.9, 203.0.113.5' },
    });
    await nextTurn();
    await app.close();
    const line = log.find((l) => l.requestId === requestIdOf(response) && l.msg === 'request completed');
    return (line as { remoteAddress?: unknown } | undefined)?.remoteAddress;
  }

  it('takes the client from X-Forwarded-For only when the connection comes from a trusted proxy', async () => {
    assert.equal(await clientAddress([], '127.0.0.1'), '127.0.0.1', 'no proxy is trusted by default');
    assert.equal(await clientAddress(['loopback'], '127.0.0.1'), '203.0.113.5');
    assert.equal(await clientAddress(['10.0.0.0/8'], '10.1.2.3'), '203.0.113.5');
    assert.equal(await clientAddress(['10.0.0.0/8'], '192.0.2.1'), '192.0.2.1', 'an untrusted sender');
  });

  it('refuses an entry that is not an address, a range or a range name, naming it', async () => {
    for (const entry of ['10.0.0.0/33', 'proxy.internal', '10.0.0.1/8/1', '::1/129']) {
      await assert.rejects(server([entry]), (error: unknown) => {
        assert.ok(error instanceof StrataError);
        assert.equal(error.code, 'CONFIG_INVALID');
        assert.ok(error.message.includes(`"${entry}"`), error.message);
        return true;
      });
    }
  });
});
