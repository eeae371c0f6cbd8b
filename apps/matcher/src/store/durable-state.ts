import { z } from 'zod';
import { keys, type Redis } from '@strangers/redis';
import type { DurableState } from '../matching/matching-state.js';
import type { WaitingSession } from '../matching/pairing.js';
import type { PendingRematch } from '../matching/rematch-requests.js';

function scored(flat: string[]): { member: string; score: number }[] {
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

const age = z.enum(['adult', 'minor', 'unknown']);
const media = z.enum(['text', 'audio', 'video']);

/** A waiting entry as the commits stored it; fields added later default for entries stored before them. */
const waitingSessionSchema = z.object({
  sid: z.string(),
  gw: z.string(),
  gen: z.number(),
  interests: z.array(z.string()),
  ipHash: z.string(),
  enqueuedAt: z.number(),
  flagged: z.boolean(),
  lang: z.array(z.string()).default([]),
  langStrict: z.boolean().default(false),
  age: age.default('unknown'),
  media: media.default('text'),
  parked: z.boolean().default(false),
}) satisfies z.ZodType<WaitingSession, unknown>;

const pendingRematchSchema = z.object({
  chat: z.string(),
  until: z.number(),
  requests: z.array(z.object({ sid: z.string(), gw: z.string(), gen: z.number(), age, media })),
  done: z.boolean(),
}) satisfies z.ZodType<PendingRematch, unknown>;

/** Parses stored JSON with a schema; an entry that does not parse is left out (and logged by the caller's count). */
function parseAll<T>(schema: z.ZodType<T>, values: string[]): T[] {
  const out: T[] = [];
  for (const json of values) {
    try {
      const parsed = schema.safeParse(JSON.parse(json));
      if (parsed.success) out.push(parsed.data);
    } catch {
      // not JSON: dropped
    }
  }
  return out;
}

/** Reads back everything the matcher keeps in Redis (what the fenced commits stored), when it (re)starts or rebuilds. */
export async function loadDurableState(redis: Redis, now: number, reportWindowMs: number): Promise<DurableState> {
  const [queue, apart, reports, flagged, rematches] = await Promise.all([
    redis.hgetall(keys.matcherQueue),
    redis.zrangebyscore(keys.matcherApart, now, '+inf', 'WITHSCORES'),
    redis.zrangebyscore(keys.matcherReports, now - reportWindowMs, '+inf', 'WITHSCORES'),
    redis.zrangebyscore(keys.matcherFlagged, now, '+inf', 'WITHSCORES'),
    redis.hgetall(keys.matcherRematch),
  ]);
  return {
    queue: parseAll(waitingSessionSchema, Object.values(queue)).sort((x, y) => x.enqueuedAt - y.enqueuedAt),
    apart: scored(apart).map(({ member, score }) => ({ pair: member, until: score })),
    reports: scored(reports).map(({ member, score }) => ({ ipHash: member.split('|')[0] ?? '', at: score, member })),
    flagged: scored(flagged).map(({ member, score }) => ({ ipHash: member, until: score })),
    rematches: parseAll(pendingRematchSchema, Object.values(rematches)),
  };
}
