import type { Redis } from '@strangers/redis';
import { APPEAL_RETENTION_DAYS } from './appeals.js';
import { appendAudit } from './audit.js';
import { idFloor } from './ids.js';
import { moderationKeys as keys } from './keys.js';
import { APPEAL_STATUSES, CATEGORIES, REPORT_STATUSES } from './schemas.js';

const DAY_MS = 24 * 3600 * 1000;
const BATCH = 500;

export interface PurgeSettings {
  /** Audit entries older than this are trimmed. */
  auditRetentionDays: number;
}

export interface PurgeResult {
  reports: number;
  appeals: number;
  bansExpired: number;
  auditEntries: number;
}

/** Every index a report id can be in. */
const REPORT_INDEXES = REPORT_STATUSES.flatMap((status) => [
  keys.reportsByStatus(status),
  ...CATEGORIES.map((category) => keys.reportsByStatusCategory(status, category)),
]);

async function purgeReports(redis: Redis, now: number): Promise<number> {
  let purged = 0;
  for (;;) {
    const ids = await redis.zrangebyscore(keys.reportExpiry, '-inf', now, 'LIMIT', 0, BATCH);
    if (ids.length === 0) return purged;
    const multi = redis.multi().del(...ids.map(keys.report)).zrem(keys.reportExpiry, ...ids);
    for (const index of REPORT_INDEXES) multi.zrem(index, ...ids);
    await multi.exec();
    purged += ids.length;
  }
}

async function purgeAppeals(redis: Redis, now: number): Promise<number> {
  const before = `(${idFloor(now - APPEAL_RETENTION_DAYS * DAY_MS)}`;
  let purged = 0;
  for (const status of APPEAL_STATUSES) {
    for (;;) {
      const ids = await redis.zrangebylex(keys.appealsByStatus(status), '-', before, 'LIMIT', 0, BATCH);
      if (ids.length === 0) break;
      await redis.multi().del(...ids.map(keys.appeal)).zrem(keys.appealsByStatus(status), ...ids).exec();
      purged += ids.length;
    }
  }
  return purged;
}

/**
 * Really deletes what is past its retention: reports with their evidence (at the end each
 * was given when recorded), appeals after APPEAL_RETENTION_DAYS, audit entries after
 * `auditRetentionDays`; drops expired bans from the in-force set (their records expire by
 * TTL). Records a `purge` audit entry when anything went.
 */
export async function purgeExpired(redis: Redis, settings: PurgeSettings, now = Date.now()): Promise<PurgeResult> {
  const reports = await purgeReports(redis, now);
  const appeals = await purgeAppeals(redis, now);
  const bansExpired = await redis.zremrangebyscore(keys.bansInForce, '-inf', now);
  const auditEntries = await redis.xtrim(keys.audit, 'MINID', now - settings.auditRetentionDays * DAY_MS);
  const result = { reports, appeals, bansExpired, auditEntries };
  if (reports + appeals > 0) await appendAudit(redis, { at: now, by: 'system', action: 'purge', target: 'expired', detail: result });
  return result;
}
