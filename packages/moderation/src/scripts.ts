import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from '@strangers/redis';

/** Lua sources live beside `src/` and `dist/` alike, so one relative path serves both. */
function lua(name: string): string {
  return readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
}

const scripts = {
  modActOnReport: { numberOfKeys: 10, lua: lua('act_on_report') },
  modLiftBan: { numberOfKeys: 5, lua: lua('lift_ban') },
  modCreateAppeal: { numberOfKeys: 6, lua: lua('create_appeal') },
  modDecideAppeal: { numberOfKeys: 8, lua: lua('decide_appeal') },
} as const;

const registered = new WeakSet<Redis>();

/**
 * The client with moderation's scripts defined (once per client; ioredis then uses EVALSHA
 * with a NOSCRIPT fallback, per node on a cluster). Clients come from packages/redis's
 * factory, which only knows its own scripts.
 */
export function withScripts(client: Redis): Redis {
  if (!registered.has(client)) {
    for (const [name, script] of Object.entries(scripts)) client.defineCommand(name, script);
    registered.add(client);
  }
  return client;
}

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See lua/act_on_report.lua: 10 keys, then its ARGV. */
    modActOnReport(...keysAndArgs: string[]): Result<number, Context>;
    /** See lua/lift_ban.lua. */
    modLiftBan(...keysAndArgs: string[]): Result<number, Context>;
    /** See lua/create_appeal.lua. */
    modCreateAppeal(...keysAndArgs: string[]): Result<number, Context>;
    /** See lua/decide_appeal.lua. */
    modDecideAppeal(...keysAndArgs: string[]): Result<number, Context>;
  }
}
