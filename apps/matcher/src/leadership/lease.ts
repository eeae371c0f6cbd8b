import { keys, type Redis } from '@strangers/redis';
import type { CommitScript } from '../matching/commit-batch.js';

/** A commit refused because this process no longer holds the lease. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  readonly code = 'MATCHER_FENCED';
}

export function isFenced(error: unknown): boolean {
  return error instanceof FencedError || String((error as Error)?.message).startsWith('FENCED');
}

/**
 * The active matcher's lease: `{m}:leader` = "<matcher id>|<fencing token>" with a PX TTL its
 * holder renews. The token comes from INCR `{m}:leader:epoch`, so every term has its own
 * value and a holder that was paused past its TTL can never mistake a newer term for its own.
 * Its scripts are lua/lease_*.lua and lua/fenced_commit.lua (registered by store/scripts.ts,
 * not in packages/redis: only the matcher runs them).
 */
export class Lease {
  /** Our lease value while we believe we hold it. */
  value: string | undefined;
  /** When the lease last was confirmed ours (ms): past this + TTL we must assume it lost. */
  confirmedAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly matcherId: string,
    private readonly ttlMs: number,
    private readonly clock: () => number = Date.now,
  ) {}

  get token(): number {
    return Number(this.value?.slice(this.value.lastIndexOf('|') + 1) ?? 0);
  }

  /** Takes the lease if it is free; true when it is ours now. */
  async tryAcquire(): Promise<boolean> {
    const startedAt = this.clock();
    const value = await this.redis.matcherLeaseAcquire(keys.matcherLeader, keys.matcherLeaderEpoch, this.matcherId, this.ttlMs);
    if (!value) return false;
    this.value = value;
    this.confirmedAt = startedAt;
    return true;
  }

  /** Extends our lease; false when it is no longer ours. */
  async renew(): Promise<boolean> {
    const value = this.value;
    if (!value) return false;
    const startedAt = this.clock();
    const renewed = (await this.redis.matcherLeaseRenew(keys.matcherLeader, value, this.ttlMs)) === 1;
    if (renewed && this.value === value) this.confirmedAt = startedAt;
    return renewed;
  }

  /** True while the last confirmation is recent enough that nobody else can hold the lease. */
  fresh(): boolean {
    return this.value !== undefined && this.clock() - this.confirmedAt < this.ttlMs;
  }

  async release(): Promise<void> {
    const value = this.value;
    this.value = undefined;
    if (value) await this.redis.matcherLeaseRelease(keys.matcherLeader, value);
  }

  forget(): void {
    this.value = undefined;
  }

  /** Runs a batch's commit script atomically, only if the lease is still ours; throws FencedError if not. */
  async commit(script: CommitScript): Promise<void> {
    const value = this.value;
    if (!value) throw new FencedError('lease not held');
    try {
      await this.redis.matcherFencedCommit(1 + script.keys.length, [keys.matcherLeader, ...script.keys, value, ...script.args]);
    } catch (error) {
      if (isFenced(error)) throw new FencedError('lease lost before the commit');
      throw error;
    }
  }
}
