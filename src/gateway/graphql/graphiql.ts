import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { packageRoot } from '../../kernel/index.js';

/**
 * GraphiQL at /graphiql, entirely from local files: GraphiQL 3's browser build and React 18's,
 * from node_modules, and a page and start script of our own (src/gateway/graphql/graphiql/). The
 * page loads nothing from elsewhere, so it works offline and behind a strict content security
 * policy. (GraphiQL 4 and later ship no browser build; they need a bundler or a CDN.)
 */

const require = createRequire(import.meta.url);

function inPackage(name: string, file: string): string {
  return join(dirname(require.resolve(`${name}/package.json`)), file);
}

function ownFile(file: string): string {
  return join(packageRoot(), 'src', 'gateway', 'graphql', 'graphiql', file);
}

const assets: readonly { readonly url: string; readonly path: () => string; readonly type: string }[] = [
  { url: '/graphiql', path: () => ownFile('index.html'), type: 'text/html; charset=utf-8' },
  { url: '/graphiql/start.js', path: () => ownFile('start.js'), type: 'text/javascript; charset=utf-8' },
  { url: '/graphiql/page.css', path: () => ownFile('page.css'), type: 'text/css; charset=utf-8' },
  {
    url: '/graphiql/graphiql.js',
    path: () => inPackage('graphiql', 'dist/index.umd.js'),
    type: 'text/javascript; charset=utf-8',
  },
  {
    url: '/graphiql/graphiql.css',
    path: () => inPackage('graphiql', 'dist/style.css'),
    type: 'text/css; charset=utf-8',
  },
  {
    url: '/graphiql/react.js',
    path: () => inPackage('react', 'umd/react.production.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  {
    url: '/graphiql/react-dom.js',
    path: () => inPackage('react-dom', 'umd/react-dom.production.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
];

/** Scripts and styles from this server only; GraphiQL sets inline styles, and calls /graphql. */
const pagePolicy = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Registers the page and its files; each is read once, when first asked for. */
export function registerGraphiQL(app: FastifyInstance): void {
  for (const asset of assets) {
    let content: Promise<Buffer> | undefined;
    app.get(asset.url, { schema: { hide: true } }, async (_request, reply) => {
      content ??= readFile(asset.path());
      return reply
        .type(asset.type)
        .header('content-security-policy', pagePolicy)
        .header('cache-control', 'public, max-age=3600')
        .send(await content);
    });
  }
}
