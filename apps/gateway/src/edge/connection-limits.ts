import type { Duplex } from 'node:stream';
import { TokenBucket } from './token-bucket.js';
import { addressKey, isLoopback } from '@strangers/config';

export interface ConnectionLimitSettings {
  /** Open WebSocket connections (both paths) on this gateway. */
  maxConnections: number;
  /** Open connections from one client address. */
  maxConnectionsPerIp: number;
  /** Upgrade requests per second from one client address (burst: twice that). */
  upgradesPerIpPerSecond: number;
  /** Apply the per-address limits to loopback clients too (off: local load tests need thousands). */
  limitLoopback: boolean;
}

export type Admission = { ok: true } | { ok: false; status: 429 | 503; reason: string };

/** Idle per-address buckets older than this are dropped: a full bucket is the same as none. */
const BUCKET_IDLE_MS = 60_000;

/** The address an admitted socket is counted against, kept on the socket. */
const kAdmittedAddress = Symbol('admitted-address');
type AdmittedSocket = Duplex & { [kAdmittedAddress]?: string };

/**
 * Admission control for upgrades on one gateway: a total bound, a per-address bound on
 * open connections and a per-address token bucket on upgrade attempts. Counts are kept per
 * TCP socket and released when that socket closes, whichever path it took. Addresses count
 * by their limit key (addressKey in @strangers/config): an IPv6 client by its /64.
 */
export class ConnectionLimits {
  private open = 0;
  private readonly openByAddress = new Map<string, number>();
  private readonly upgradeBuckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();
  private sweptAt = Date.now();

  /**
   * One `close` listener for every admitted socket (the socket is `this`): a closure, or a
   * `once` wrapper, per socket would keep a few hundred bytes alive per idle connection.
   */
  private readonly releaseOnClose: (this: AdmittedSocket) => void;

  constructor(private readonly settings: ConnectionLimitSettings) {
    const limits = this;
    this.releaseOnClose = function releaseOnClose(this: AdmittedSocket) {
      const address = this[kAdmittedAddress];
      if (address === undefined) return;
      this[kAdmittedAddress] = undefined;
      limits.release(address);
    };
  }

  get openConnections(): number {
    return this.open;
  }

  /** Decides on one upgrade; on `ok` the caller must `release(address)` when the socket closes. */
  admit(peer: string, now = Date.now()): Admission {
    const address = addressKey(peer);
    const perAddress = this.settings.limitLoopback || !isLoopback(peer);
    if (perAddress && !this.takeUpgradeToken(address, now)) {
      return { ok: false, status: 429, reason: 'Too Many Requests' };
    }
    if (this.open >= this.settings.maxConnections) return { ok: false, status: 503, reason: 'Service Unavailable' };
    const fromAddress = this.openByAddress.get(address) ?? 0;
    if (perAddress && fromAddress >= this.settings.maxConnectionsPerIp) {
      return { ok: false, status: 429, reason: 'Too Many Requests' };
    }
    this.open++;
    this.openByAddress.set(address, fromAddress + 1);
    return { ok: true };
  }

  /** After an `ok` admission: counts `socket` against `address` until it closes, whatever happens to its upgrade. */
  holdUntilClosed(socket: Duplex, peer: string): void {
    (socket as AdmittedSocket)[kAdmittedAddress] = addressKey(peer);
    socket.on('close', this.releaseOnClose);
  }

  /** `address`: the limit key (addressKey), as counted by `admit`. */
  release(address: string): void {
    this.open--;
    const left = (this.openByAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.openByAddress.delete(address);
    else this.openByAddress.set(address, left);
  }

  private takeUpgradeToken(address: string, now: number): boolean {
    if (now - this.sweptAt > BUCKET_IDLE_MS) this.sweep(now);
    let entry = this.upgradeBuckets.get(address);
    if (!entry) {
      const rate = this.settings.upgradesPerIpPerSecond;
      entry = { bucket: new TokenBucket(rate, rate * 2, now), usedAt: now };
      this.upgradeBuckets.set(address, entry);
    }
    entry.usedAt = now;
    return entry.bucket.take(now);
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [address, entry] of this.upgradeBuckets) if (now - entry.usedAt > BUCKET_IDLE_MS) this.upgradeBuckets.delete(address);
  }
}
