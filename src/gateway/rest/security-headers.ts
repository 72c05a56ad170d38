import type { FastifyInstance } from 'fastify';
import helmet from 'helmet';

/**
 * The security headers of an API response, after OWASP's REST Security Cheat Sheet ("Security
 * headers"): a browser that opens a response by mistake may neither render what it links, sniff
 * it into another type, frame it, nor leak the URL that led to it. Helmet's full set is written for
 * HTML documents; on a JSON or tensor response most of it (DNS prefetch, IE's download dialog,
 * Flash's cross-domain policies, the opener policy of windows) says nothing, and its 12 headers,
 * 663 bytes, were a measurable part of what a cheap request costs the server and its
 * client (bench/results/gateway.md).
 */
const apiHeaders: readonly (readonly [string, string])[] = [
  ['content-security-policy', "default-src 'none'; frame-ancestors 'none'"],
  ['x-content-type-options', 'nosniff'],
  ['x-frame-options', 'DENY'],
  ['referrer-policy', 'no-referrer'],
  ['cross-origin-resource-policy', 'same-origin'],
];

// Browsers ignore Strict-Transport-Security on plain HTTP (RFC 6797 §8.1), so only HTTPS sends it.
const strictTransport = ['strict-transport-security', 'max-age=31536000; includeSubDomains'] as const;

/** The browser pages Strata serves, which are HTML documents and get helmet's full set. */
function isPage(url: string): boolean {
  return url.startsWith('/docs') || url.startsWith('/graphiql');
}

/**
 * Sets the security headers on every response: the short API set, or helmet's for the pages
 * (whose routes set their own content security policy, allowing their local scripts).
 */
export function installSecurityHeaders(app: FastifyInstance, options: { readonly https: boolean }): void {
  const headers = options.https ? [...apiHeaders, strictTransport] : apiHeaders;
  // Built once and applied as a hook: @fastify/helmet builds helmet's middleware again on every
  // request, which cost ~10% of a cheap route's CPU (bench/results/gateway.md).
  const pageHeaders = helmet({
    contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    ...(options.https ? {} : { strictTransportSecurity: false }),
  });
  app.addHook('onRequest', (request, reply, done) => {
    if (isPage(request.url)) {
      pageHeaders(request.raw, reply.raw, (error?: unknown) => {
        done(error instanceof Error ? error : undefined);
      });
      return;
    }
    // On the raw response: Fastify would store them only to copy them there.
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  });
}
