import { z } from 'zod';
import type { Redis } from '@strangers/redis';
import { defaultBanStreamMaxLength } from './actions.js';
import { auditJson } from './audit.js';
import { ModerationError } from './errors.js';
import { moderationKeys as keys } from './keys.js';
import { withScripts } from './scripts.js';
import { moderatorReasonSchema } from './actions.js';
import { BAN_GROUNDS, banRecordSchema, type BanRecord } from './schemas.js';

/** A ban with what happened to it since. */
export interface Ban extends BanRecord {
  liftedAt?: number;
  liftedBy?: string;
  liftReason?: string;
  /** The id of its appeal, once one was made. */
  appealId?: string;
}

function parseBan(fields: Record<string, string>): Ban | undefined {
  if (!fields.record) return undefined;
  const ban: Ban = banRecordSchema.parse(JSON.parse(fields.record));
  if (fields.liftedAt) ban.liftedAt = Number(fields.liftedAt);
  if (fields.liftedBy) ban.liftedBy = fields.liftedBy;
  if (fields.liftReason) ban.liftReason = fields.liftReason;
  if (fields.appeal) ban.appealId = fields.appeal;
  return ban;
}

export async function getBan(redis: Redis, id: string): Promise<Ban | undefined> {
  return parseBan(await redis.hgetall(keys.ban(id)));
}

/** True while a ban applies at `now`. */
export function inForce(ban: Ban, now: number): boolean {
  return ban.liftedAt === undefined && (ban.until === undefined || ban.until > now);
}

/** The ids in the in-force set whose end is after `now`. */
async function idsInForce(redis: Redis, now: number): Promise<string[]> {
  return redis.zrangebyscore(keys.bansInForce, `(${now}`, '+inf');
}

async function loadBans(redis: Redis, ids: readonly string[]): Promise<Ban[]> {
  const bans: Ban[] = [];
  // Chunks keep each pipeline reply small however many bans there are.
  for (let start = 0; start < ids.length; start += 500) {
    const pipeline = redis.pipeline();
    for (const id of ids.slice(start, start + 500)) pipeline.hgetall(keys.ban(id));
    for (const [error, fields] of (await pipeline.exec()) ?? []) {
      const ban = error ? undefined : parseBan(fields as Record<string, string>);
      if (ban) bans.push(ban);
    }
  }
  return bans;
}

/** Every ban and shadow ban in force at `now`, newest first. */
export async function listBansInForce(redis: Redis, now = Date.now()): Promise<Ban[]> {
  const bans = await loadBans(redis, await idsInForce(redis, now));
  return bans.filter((ban) => inForce(ban, now)).sort((a, b) => (a.id < b.id ? 1 : -1));
}

export const liftRequestSchema = z.object({ reason: moderatorReasonSchema.optional() }).strict();

/**
 * Lifts a ban in force (one script: marked, out of the in-force set, a `lift` event on the ban
 * stream, an audit entry). Throws ModerationError `not_found`, or `conflict` when it is no
 * longer in force.
 */
export async function liftBan(redis: Redis, banId: string, by: string, reason = '', now = Date.now(), streamMaxLength = defaultBanStreamMaxLength): Promise<void> {
  const audit = auditJson({ at: now, by, action: 'lift', target: banId, reason });
  const result = await withScripts(redis).modLiftBan(
    keys.ban(banId),
    keys.bansInForce,
    keys.banEvents,
    keys.audit,
    keys.stats,
    banId,
    String(now),
    by,
    reason,
    audit,
    String(streamMaxLength),
  );
  if (result === 0) throw new ModerationError('not_found', `no ban ${banId}`);
  if (result === -1) throw new ModerationError('conflict', `ban ${banId} is not in force (lifted or expired)`);
}

/** PROTOCOL.md §3's `banned` frame: the statement of reasons a gateway sends before close 4003. */
export interface BannedFrame {
  type: 'banned';
  ban: string;
  reason: string;
  /** ms; absent for a permanent ban. */
  until?: number;
  appeal: string;
}

/** The statement for a ban: the ground from the fixed list, then the moderator's reason, if any. */
export function banStatement(ban: BanRecord): BannedFrame {
  const reason = ban.reason ? `${BAN_GROUNDS[ban.ground]}: ${ban.reason}` : BAN_GROUNDS[ban.ground];
  const frame: BannedFrame = { type: 'banned', ban: ban.id, reason, appeal: ban.appeal };
  if (ban.until !== undefined) frame.until = ban.until;
  return frame;
}

/** What the ban stream carries. */
export type BanEvent = { type: 'add'; ban: BanRecord } | { type: 'lift'; banId: string };

/** The ban stream's id from which a follower that loaded the bans in force at that moment goes on. */
export interface BanSnapshot {
  bans: BanRecord[];
  /** Read the stream after this id (`0` when it is empty). */
  lastEventId: string;
}

/**
 * Every ban in force, for a gateway starting up, and where to follow the ban stream from.
 * The stream position is read first: events between it and the snapshot are replayed by
 * the follower, and applying an add or a lift twice changes nothing.
 */
export async function loadBansInForce(redis: Redis, now = Date.now()): Promise<BanSnapshot> {
  const last = (await redis.xrevrange(keys.banEvents, '+', '-', 'COUNT', 1)) as [string, string[]][];
  const bans = (await listBansInForce(redis, now)).map(({ liftedAt: _l, liftedBy: _b, liftReason: _r, appealId: _a, ...record }) => record);
  return { bans, lastEventId: last[0]?.[0] ?? '0' };
}

export function decodeBanEvent(fields: readonly string[]): BanEvent | undefined {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  try {
    if (record.t === 'add' && record.ban) return { type: 'add', ban: banRecordSchema.parse(JSON.parse(record.ban)) };
    if (record.t === 'lift' && record.ban) return { type: 'lift', banId: record.ban };
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Ban events after `afterId`, waiting up to `blockMs` for one (0: do not wait). Use a
 * connection of its own for a blocking read.
 */
export async function readBanEvents(
  redis: Redis,
  afterId: string,
  { blockMs = 0, count = 500 }: { blockMs?: number; count?: number } = {},
): Promise<{ events: BanEvent[]; lastId: string }> {
  const reply = (blockMs > 0
    ? await redis.xread('COUNT', count, 'BLOCK', blockMs, 'STREAMS', keys.banEvents, afterId)
    : await redis.xread('COUNT', count, 'STREAMS', keys.banEvents, afterId)) as [string, [string, string[]][]][] | null;
  const entries = reply?.[0]?.[1] ?? [];
  const events: BanEvent[] = [];
  for (const [, fields] of entries) {
    const event = decodeBanEvent(fields);
    if (event) events.push(event);
  }
  return { events, lastId: entries.length > 0 ? entries[entries.length - 1]![0] : afterId };
}
