import type { Result } from 'ioredis';
import { keys, type Redis } from '@strangers/redis';
import { matcherLua, type CommitScript } from './commit.js';

/**
 * The active matcher's lease: `{m}:leader` = "<matcher id>|<fencing token>" with a PX TTL its
 * holder renews. The token comes from INCR `{m}:leader:epoch`, so every term has its own
 * value and a holder that was paused past its TTL can never mistake a newer term for its own.
 * The lease scripts live here, the commit script in ../lua (not in packages/redis/lua): only
 * the matcher runs them.
 */

/**
 * KEYS[1] leader key, KEYS[2] epoch counter; ARGV[1] matcher id, ARGV[2] TTL (ms).
 * Returns the lease value taken, or false when someone holds it.
 */
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '|' .. token
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
`;

/** KEYS[1] leader key; ARGV[1] our lease value, ARGV[2] TTL (ms). 1 = renewed, 0 = not ours. */
const RENEW = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/** KEYS[1] leader key; ARGV[1] our lease value. Lets a standby take over at once on a clean stop. */
const RELEASE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`;

declare module 'ioredis' {
  interface RedisCommander<Context> {
    matcherLeaseAcquire(leader: string, epoch: string, id: string, ttlMs: number): Result<string | null, Context>;
    matcherLeaseRenew(leader: string, value: string, ttlMs: number): Result<number, Context>;
    matcherLeaseRelease(leader: string, value: string): Result<number, Context>;
    /** lua/fenced_commit.lua; an array argument is flattened by ioredis (no spread of thousands of arguments). */
    matcherFencedCommit(numKeys: number, keysAndArgs: (string | number)[]): Result<number, Context>;
  }
}

export function defineLeaseCommands(redis: Redis): void {
  if (typeof redis.matcherLeaseAcquire === 'function') return;
  redis.defineCommand('matcherLeaseAcquire', { numberOfKeys: 2, lua: ACQUIRE });
  redis.defineCommand('matcherLeaseRenew', { numberOfKeys: 1, lua: RENEW });
  redis.defineCommand('matcherLeaseRelease', { numberOfKeys: 1, lua: RELEASE });
  redis.defineCommand('matcherFencedCommit', { lua: matcherLua('fenced_commit') });
}

/** A commit refused because this process no longer holds the lease. */
export class FencedError extends Error {
  override readonly name = 'FencedError';
  readonly code = 'MATCHER_FENCED';
}

export function isFenced(error: unknown): boolean {
  return error instanceof FencedError || String((error as Error)?.message).startsWith('FENCED');
}

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
  ) {
    defineLeaseCommands(redis);
  }

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
