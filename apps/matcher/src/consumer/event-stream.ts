import { compareStreamIds, keys, MATCHER_GROUP, type Redis } from '@strangers/redis';

/** A stream entry as XREADGROUP and XAUTOCLAIM return it: fields are null for an entry deleted while pending. */
export type RawEntry = [id: string, fields: string[] | null];

/** Creates the consumer group if it does not exist yet. */
export async function ensureGroup(redis: Redis): Promise<void> {
  try {
    // From the start of the stream: joins published before the first matcher ever ran still count.
    await redis.xgroup('CREATE', keys.matcherEvents, MATCHER_GROUP, '0', 'MKSTREAM');
  } catch (error) {
    if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
  }
}

/**
 * Reads up to `count` events as `consumer`: its own pending ones (cursor '0'), or new ones
 * ('>'), waiting up to `blockMs` for them (undefined: no wait).
 */
export async function readEvents(reader: Redis, consumer: string, count: number, cursor: string, blockMs: number | undefined): Promise<RawEntry[]> {
  const reply =
    blockMs === undefined
      ? await reader.xreadgroup('GROUP', MATCHER_GROUP, consumer, 'COUNT', count, 'STREAMS', keys.matcherEvents, cursor)
      : await reader.xreadgroup('GROUP', MATCHER_GROUP, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', keys.matcherEvents, cursor);
  // One stream asked for: the reply is null or [[stream, entries]].
  return (reply as [string, RawEntry[]][] | null)?.[0]?.[1] ?? [];
}

/**
 * Claims up to `count` events another consumer read but never acknowledged, from `start`
 * (min-idle 0: only the leader reads, so nobody is still working on them). Returns them in
 * stream order and the cursor to continue from ('0-0' once done).
 */
export async function claimPending(redis: Redis, consumer: string, count: number, start: string): Promise<{ next: string; entries: RawEntry[] }> {
  const reply = (await redis.xautoclaim(keys.matcherEvents, MATCHER_GROUP, consumer, 0, start, 'COUNT', count)) as [string, (RawEntry | null)[]];
  const entries = reply[1].filter((entry): entry is RawEntry => Array.isArray(entry));
  entries.sort((x, y) => compareStreamIds(x[0], y[0]));
  return { next: reply[0], entries };
}

/**
 * Where the stream may be trimmed to once everything up to `lastAckedId` is applied: not past
 * an entry still pending with another consumer (a deposed leader read it and the leader has
 * yet to claim it). Entries delivered later are all newer than ours.
 */
export async function trimPoint(redis: Redis, lastAckedId: string): Promise<string> {
  const [pending, oldest] = (await redis.xpending(keys.matcherEvents, MATCHER_GROUP)) as [number, string | null];
  return pending > 0 && oldest && compareStreamIds(oldest, lastAckedId) < 0 ? oldest : lastAckedId;
}
