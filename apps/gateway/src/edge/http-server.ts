import { createServer, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { SECURITY_HEADER_LINES } from './security-headers.js';

export interface HttpServerSettings {
  /** The whole request head must arrive within this (Node's default: 60 s). */
  headersTimeoutMs: number;
  /** The whole request within this (Node's default: 5 min). */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveTimeoutMs: number;
}

/**
 * The gateway's HTTP server with the slowloris bounds set deliberately: a socket that never
 * completes its request head is closed once `headersTimeoutMs` has passed (checked every
 * second, not Node's default 30 s), one that sends a body slowly after `requestTimeoutMs`.
 * Upgraded sockets leave these timers behind. The parser's own error answers (400, 408)
 * carry the security headers too.
 */
export function createHttpServer(settings: HttpServerSettings, listener: RequestListener): Server {
  const server = createServer(
    {
      headersTimeout: settings.headersTimeoutMs,
      requestTimeout: Math.max(settings.requestTimeoutMs, settings.headersTimeoutMs),
      keepAliveTimeout: settings.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.min(1000, settings.headersTimeoutMs),
    },
    listener,
  );
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    if (error.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n${SECURITY_HEADER_LINES}Content-Length: 0\r\n\r\n`);
  });
  return server;
}
