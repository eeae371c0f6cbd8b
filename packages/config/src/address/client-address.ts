import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

export function peerAddress(request: IncomingMessage): string {
  return request.socket.remoteAddress ?? 'unknown';
}

/** Decides which addresses are our own proxies, from `TRUST_PROXY` (addresses, CIDRs, or proxy-addr's names like `loopback`). */
export type ProxyTrust = (address: string, hop: number) => boolean;

export function compileProxyTrust(list: readonly string[]): ProxyTrust {
  return proxyaddr.compile([...list]);
}

/**
 * The client's address: the socket peer, or — only when that peer is a trusted proxy —
 * the nearest `X-Forwarded-For` entry not itself a trusted proxy. Without a trust list the
 * header is ignored entirely: anyone can write it.
 */
export function clientAddress(request: IncomingMessage, trust: ProxyTrust | undefined): string {
  if (!trust || request.socket.remoteAddress === undefined) return peerAddress(request);
  return proxyaddr(request, trust);
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6. */
export function isLoopback(address: string): boolean {
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}
