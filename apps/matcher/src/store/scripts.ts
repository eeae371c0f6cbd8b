import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from '@strangers/redis';

/** Lua sources live beside `src/` and `dist/` alike, so one relative path serves both. */
function lua(name: string): string {
  return readFileSync(new URL(`../../lua/${name}.lua`, import.meta.url), 'utf8');
}

/**
 * Every Lua script the matcher runs, one file each in ../../lua, registered one way (as
 * packages/redis registers the chat scripts). Scripts without `numberOfKeys` take a key count
 * per call: their key lists vary (the control streams of a batch, the sessions of a batch).
 */
const scripts = {
  matcherLeaseAcquire: { numberOfKeys: 2, lua: lua('lease_acquire') },
  matcherLeaseRenew: { numberOfKeys: 1, lua: lua('lease_renew') },
  matcherLeaseRelease: { numberOfKeys: 1, lua: lua('lease_release') },
  matcherFencedCommit: { lua: lua('fenced_commit') },
  matcherLiveSessions: { lua: lua('live_sessions') },
} as const;

/**
 * Registers the scripts on the matcher's command connection; ioredis then uses EVALSHA with a
 * NOSCRIPT fallback (on a cluster, per node).
 */
export function registerMatcherScripts(client: Redis): void {
  for (const [name, script] of Object.entries(scripts)) client.defineCommand(name, script);
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** lua/lease_acquire.lua: the lease value taken, or null when someone holds it. */
    matcherLeaseAcquire(leader: string, epoch: string, id: string, ttlMs: number): Result<string | null, Context>;
    /** lua/lease_renew.lua: 1 renewed, 0 not ours. */
    matcherLeaseRenew(leader: string, value: string, ttlMs: number): Result<number, Context>;
    /** lua/lease_release.lua: 1 released, 0 not ours. */
    matcherLeaseRelease(leader: string, value: string): Result<number, Context>;
    /** lua/fenced_commit.lua; an array argument is flattened by ioredis (no spread of thousands of arguments). */
    matcherFencedCommit(numKeys: number, keysAndArgs: (string | number)[]): Result<number, Context>;
    /** lua/live_sessions.lua: one '1' or '0' per session. */
    matcherLiveSessions(numKeys: number, keysAndArgs: (string | number)[]): Result<string, Context>;
  }
}
