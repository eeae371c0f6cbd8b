import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { addressKey } from './address-key.js';

/**
 * Hashes a client address (its limit key: an IPv6 address by its /64) with HMAC-SHA256 keyed
 * by the deployment-wide secret: report counting needs the same hash on every gateway, logs
 * must never hold the raw address, and without the key nobody can reverse a hash by trying
 * all 2³² IPv4 addresses (a plain hash over salt + address can be, in CPU-minutes).
 */
export function hashAddress(address: string, key: string): string {
  // The first 22 base64url characters of the digest (132 bits, from its first 17 bytes). Cut
  // through a Buffer: `.slice` on the string would keep all 43 characters alive behind it.
  const encoded = createHmac('sha256', key).update(addressKey(address)).digest().toString('base64url', 0, 17);
  return Buffer.from(encoded, 'latin1').toString('latin1', 0, 22);
}

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
