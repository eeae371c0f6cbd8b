import { keys, type Redis } from '@strangers/redis';
import type { DurableState } from '../matching/matching-state.js';
import type { WaitingSession } from '../matching/pairing.js';

function scored(flat: string[]): { member: string; score: number }[] {
  const out: { member: string; score: number }[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push({ member: flat[i]!, score: Number(flat[i + 1]) });
  return out;
}

/** Reads back everything the matcher keeps in Redis (what the fenced commits stored), when it (re)starts or rebuilds. */
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
