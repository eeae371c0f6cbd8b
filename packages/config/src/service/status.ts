import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { serveMetrics } from './metrics.js';

export interface StatusOptions {
  /** `/readyz`: 200 while true, 503 otherwise. */
  isReady: () => boolean;
  /** Served at `/metrics`. */
  registry: Registry;
}

/** The paths every service answers (docker-compose healthchecks and scrapers use them). */
export const STATUS_PATHS = ['/healthz', '/readyz', '/metrics'] as const;

/**
 * The status routes: `/healthz` 200 while the process runs, `/readyz` from the readiness
 * callback, `/metrics` from the registry. Returns false for any other path, so a service
 * with more routes (the gateway's HTTP server) calls it first and goes on with its own.
 */
export function statusRoutes(options: StatusOptions): (request: IncomingMessage, response: ServerResponse) => boolean {
  return (request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    } else if (path === '/readyz') {
      const ready = options.isReady();
      response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready\n' : 'not ready\n');
    } else if (path === '/metrics') {
      serveMetrics(options.registry, response);
    } else {
      return false;
    }
    return true;
  };
}

/** An HTTP server with only the status routes (the matcher's); anything else is 404. */
export function createStatusServer(options: StatusOptions): Server {
  const routes = statusRoutes(options);
  return createServer((request, response) => {
    if (!routes(request, response)) response.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
}

/**
 * Listens and resolves with the port bound; rejects with the listen error (EADDRINUSE…),
 * which the service runner prints as one line, instead of an unhandled 'error' event.
 */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Closes the server; resolves once it is closed (idle keep-alive sockets are closed too). */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
