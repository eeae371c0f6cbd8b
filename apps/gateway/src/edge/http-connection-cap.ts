import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { addressKey } from '@strangers/config';

/** The limit key a capped socket counts against, kept on the socket. */
const kCappedKey = Symbol('capped-key');
type CappedSocket = Socket & { [kCappedKey]?: string };

/**
 * A per-address cap on open TCP connections to the HTTP server (plain HTTP and WebSocket
 * alike, before any byte is parsed): past `max`, a new connection from that address (its
 * /64 for IPv6) is destroyed at once, so one client cannot hold thousands of slow sockets.
 * `exempt` peers (our own proxies, loopback) are not counted: behind nginx every client
 * arrives from the proxy's address, and per-client limits apply to upgrades instead.
 */
export function capConnectionsPerAddress(server: Server, max: number, exempt: (peer: string) => boolean): { open: (peer: string) => number } {
  const openByKey = new Map<string, number>();
  function release(this: CappedSocket): void {
    const key = this[kCappedKey];
    if (key === undefined) return;
    this[kCappedKey] = undefined;
    const left = (openByKey.get(key) ?? 1) - 1;
    if (left <= 0) openByKey.delete(key);
    else openByKey.set(key, left);
  }
  server.on('connection', (socket: CappedSocket) => {
    const peer = socket.remoteAddress;
    if (peer === undefined || exempt(peer)) return;
    const key = addressKey(peer);
    const open = openByKey.get(key) ?? 0;
    if (open >= max) {
      socket.destroy();
      return;
    }
    openByKey.set(key, open + 1);
    socket[kCappedKey] = key;
    socket.on('close', release);
  });
  return { open: (peer) => openByKey.get(addressKey(peer)) ?? 0 };
}
