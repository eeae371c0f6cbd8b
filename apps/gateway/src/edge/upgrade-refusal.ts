import type { Duplex } from 'node:stream';
import { SECURITY_HEADER_LINES } from './security-headers.js';

/**
 * The one upgrade refusal (`/ws` and the room): a bare HTTP answer on the raw socket, before
 * any WebSocket exists, then the connection is closed. `body` is sent as text/plain.
 */
export function refuseUpgrade(socket: Duplex, status: number, text: string, body?: string): void {
  if (body === undefined) {
    socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${SECURITY_HEADER_LINES}Content-Length: 0\r\n\r\n`);
    return;
  }
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\n${SECURITY_HEADER_LINES}Content-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}
