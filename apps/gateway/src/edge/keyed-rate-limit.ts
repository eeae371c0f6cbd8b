import { TokenBucket } from './token-bucket.js';

/** Idle buckets older than this are dropped: a full bucket is the same as none. */
const DEFAULT_IDLE_MS = 60_000;

/**
 * One token bucket per key (a client address's limit key, or its hash): `burst` at once,
 * refilled at `perSecond`. Buckets idle longer than it takes to refill are swept, so the map
 * stays as small as the set of recently active clients.
 */
export class KeyedRateLimit {
  private readonly buckets = new Map<string, { bucket: TokenBucket; usedAt: number }>();
  private sweptAt = Date.now();
  private readonly idleMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    // Past this a bucket has refilled completely: forgetting it changes nothing.
    this.idleMs = Math.max(DEFAULT_IDLE_MS, (burst / perSecond) * 1000);
  }

  /** `count` per `windowMs`, all of it at once if a client likes. */
  static perWindow(count: number, windowMs: number): KeyedRateLimit {
    return new KeyedRateLimit(count / (windowMs / 1000), count);
  }

  /** Takes a token for `key`; false when its bucket is empty. */
  take(key: string, now = Date.now()): boolean {
    if (now - this.sweptAt > this.idleMs) this.sweep(now);
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.perSecond, this.burst, now), usedAt: now };
      this.buckets.set(key, entry);
    }
    entry.usedAt = now;
    return entry.bucket.take(now);
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, entry] of this.buckets) if (now - entry.usedAt > this.idleMs) this.buckets.delete(key);
  }
}
