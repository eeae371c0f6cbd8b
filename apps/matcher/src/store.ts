import { randomBytes } from 'node:crypto';
import type { Result } from 'ioredis';
import { isCluster, keys, type Redis } from '@strangers/redis';
import { matcherLua } from './commit.js';
import type { WaitingSession } from './pairing.js';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** lua/live_sessions.lua: one '1' or '0' per session. */
    matcherLiveSessions(numKeys: number, keysAndArgs: (string | number)[]): Result<string, Context>;
  }
}

/** Everything the matcher keeps in Redis, read back when it (re)starts. */
export interface DurableState {
  queue: WaitingSession[];
  apart: { pair: string; until: number }[];
  reports: { ipHash: string; at: number }[];
  flagged: { ipHash: string; until: number }[];
}

function scored(flat: string[]): { member: string; score: number }[] {
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

export async function loadDurableState(redis: Redis, now: number, reportWindowMs: number): Promise<DurableState> {
  const [queue, apart, reports, flagged] = await Promise.all([
    redis.hgetall(keys.matcherQueue),
    redis.zrangebyscore(keys.matcherApart, now, '+inf', 'WITHSCORES'),
    redis.zrangebyscore(keys.matcherReports, now - reportWindowMs, '+inf', 'WITHSCORES'),
    redis.zrangebyscore(keys.matcherFlagged, now, '+inf', 'WITHSCORES'),
  ]);
  return {
    queue: Object.values(queue)
      .map((json) => JSON.parse(json) as WaitingSession)
      .sort((x, y) => x.enqueuedAt - y.enqueuedAt),
    apart: scored(apart).map(({ member, score }) => ({ pair: member, until: score })),
    reports: scored(reports).map(({ member, score }) => ({ ipHash: member.split('|')[0] ?? '', at: score })),
    flagged: scored(flagged).map(({ member, score }) => ({ ipHash: member, until: score })),
  };
}

/** Random bytes drawn in bulk: one randomBytes call per pair was the loop's largest cost. */
const ID_BYTES = 12;
let idPool = Buffer.alloc(0);
let idOffset = 0;

export function newChatId(buckets: number): string {
  if (idOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * 4096);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  const bucket = buckets > 1 ? Math.floor(Math.random() * buckets) : 0;
  return `${bucket}.${id}`;
}

/**
 * Which sessions are still live for the join with this `gen`: their record (written by the
 * owning gateway before it publishes the join, on the same connection) exists, says
 * `waiting`, and has the same gen. A session that left, was paired, re-joined, or whose
 * record ended with its resume grace is a ghost and must not be queued or paired.
 */
export async function liveSessions(redis: Redis, sessions: readonly { sid: string; gen: number }[]): Promise<boolean[]> {
  if (sessions.length === 0) return [];
  if (isCluster(redis)) {
    // Records live on every node and neither a script nor a pipeline may span nodes: one
    // command each, all written at once, answered by their own nodes.
    const records = await Promise.all(sessions.map(({ sid }) => redis.hmget(keys.session(sid), 'state', 'gen')));
    return sessions.map(({ gen }, i) => {
      const [state, storedGen] = records[i]!;
      return state === 'waiting' && Number(storedGen) === gen;
    });
  }
  // One script call for the whole batch: a pipeline of one HMGET per join costs the client
  // a command object, a promise and a parsed reply per join.
  if (typeof redis.matcherLiveSessions !== 'function') redis.defineCommand('matcherLiveSessions', { lua: matcherLua('live_sessions') });
  const args: (string | number)[] = [];
  for (const { sid } of sessions) args.push(keys.session(sid));
  for (const { gen } of sessions) args.push(gen);
  const live = await redis.matcherLiveSessions(sessions.length, args);
  return sessions.map((_, i) => live.charCodeAt(i) === 49 /* '1' */);
}
