import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import sirv from 'sirv';
import { SECURITY_HEADERS } from './security-headers.js';

/** Our content types (sirv's lookup omits the charset of text types, which the page relies on). */
const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};


/**
 * Maps a request path to a file under `root`, or undefined when it would escape `root`
 * (`..`, encoded slashes or NUL bytes). `/` is `index.html`. Checked before sirv sees the
 * request, so such paths never reach the file system.
 */
export function resolveStaticPath(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const base = resolve(root);
  const file = resolve(base, relative);
  return file.startsWith(base + sep) ? file : undefined;
}

function notFound(response: ServerResponse): void {
  response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
}

export type StaticFiles = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Serves the built web client (GET and HEAD) with sirv: a weak ETag per file (a matching
 * `If-None-Match` gets 304), `Cache-Control: no-cache` (asset names are not content-hashed,
 * so browsers revalidate rather than cache blindly), and a precompressed `.br` / `.gz` beside
 * a file when the client accepts it. Files are looked up per request (`dev`), so a web client
 * built after the gateway started is served. 404 for anything missing, including every path
 * when the web client has not been built; `/favicon.ico` without a file is 204, so browsers
 * do not report a 404 for it.
 */
export function createStaticFiles(root: string, onReadError: (path: string, error: Error) => void = () => {}): StaticFiles {
  const serve = sirv(root, {
    dev: true,
    etag: true,
    gzip: true,
    brotli: true,
    extensions: [],
    setHeaders(response, pathname) {
      const type = CONTENT_TYPES[extname(pathname)];
      if (type) response.setHeader('content-type', type);
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) response.setHeader(name, value);
    },
    onNoMatch(request, response) {
      if ((request.url ?? '').split('?')[0] === '/favicon.ico') response.writeHead(204, { 'cache-control': 'max-age=86400' }).end();
      else notFound(response);
    },
  });
  return (request, response) => {
    const [path = '/', query] = (request.url ?? '/').split('?');
    if (!resolveStaticPath(root, path)) {
      notFound(response);
      return;
    }
    // `/` is the page itself (sirv's own index lookup would also try `/index` and `.htm`).
    if (path === '/') request.url = query === undefined ? '/index.html' : `/index.html?${query}`;
    // sirv opens the file after its stat and pipes it with no error listener: a file gone by then
    // (a rebuild of the web client) or one that cannot be read would throw out of the process.
    response.once('pipe', (source) =>
      source.once('error', (error: Error) => {
        onReadError(path, error);
        response.destroy();
      }),
    );
    serve(request, response);
  };
}

const byRoot = new Map<string, StaticFiles>();

/** `createStaticFiles(root)` for one request (one handler kept per root). */
export function serveStaticFile(root: string, request: IncomingMessage, response: ServerResponse): void {
  let serve = byRoot.get(root);
  if (!serve) byRoot.set(root, (serve = createStaticFiles(root)));
  serve(request, response);
}
