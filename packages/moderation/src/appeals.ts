import { z } from 'zod';
import type { Redis } from '@strangers/redis';
import { defaultBanStreamMaxLength, moderatorReasonSchema } from './actions.js';
import { auditJson } from './audit.js';
import { ModerationError } from './errors.js';
import { newId } from './ids.js';
import { moderationKeys as keys } from './keys.js';
import { pageAfter, type Page } from './paging.js';
import { withScripts } from './scripts.js';
import {
  appealDecisionSchema,
  appealRecordSchema,
  appealStatusSchema,
  TEXT_LIMITS,
  type AppealDecision,
  type AppealRecord,
  type AppealStatus,
} from './schemas.js';

/** How long an appeal is kept after it was made. */
export const APPEAL_RETENTION_DAYS = 365;
const DAY_MS = 24 * 3600 * 1000;

export const appealTextSchema = z.string().trim().min(1, 'say why the ban should be lifted').max(TEXT_LIMITS.appeal);

export interface Appeal extends AppealRecord {
  status: AppealStatus;
  decision?: AppealDecision;
}

function parseAppeal(fields: Record<string, string>): Appeal | undefined {
  if (!fields.record) return undefined;
  const appeal: Appeal = { ...appealRecordSchema.parse(JSON.parse(fields.record)), status: appealStatusSchema.parse(fields.status) };
  if (fields.decision) appeal.decision = appealDecisionSchema.parse(JSON.parse(fields.decision));
  return appeal;
}

export async function getAppeal(redis: Redis, id: string): Promise<Appeal | undefined> {
  return parseAppeal(await redis.hgetall(keys.appeal(id)));
}

/**
 * Files the appeal against a ban in force (one per ban). Throws ModerationError `not_found`
 * (no such ban) or `conflict` (not in force, or appealed already).
 */
export async function createAppeal(redis: Redis, banId: string, text: string, now = Date.now()): Promise<AppealRecord> {
  const record: AppealRecord = { id: newId(now), ban: banId, text: appealTextSchema.parse(text), createdAt: now };
  // The appeal text is the user's own words: it stays out of the audit log, like evidence.
  const audit = auditJson({ at: now, by: 'public', action: 'appeal', target: banId, detail: { appeal: record.id } });
  const result = await withScripts(redis).modCreateAppeal(
    keys.ban(banId),
    keys.bansInForce,
    keys.appeal(record.id),
    keys.appealsByStatus('open'),
    keys.audit,
    keys.stats,
    banId,
    record.id,
    JSON.stringify(record),
    audit,
    String(now),
    String(now + APPEAL_RETENTION_DAYS * DAY_MS),
  );
  if (result === 0) throw new ModerationError('not_found', `no ban ${banId}`);
  if (result === -1) throw new ModerationError('conflict', 'this ban is no longer in force');
  if (result === -2) throw new ModerationError('conflict', 'this ban has been appealed already');
  return record;
}

export async function listAppeals(redis: Redis, query: { status: AppealStatus; cursor?: string; limit: number }): Promise<Page<Appeal>> {
  return pageAfter(redis, keys.appealsByStatus(query.status), query.cursor, query.limit, async (ids) => {
    const pipeline = redis.pipeline();
    for (const id of ids) pipeline.hgetall(keys.appeal(id));
    const appeals: Appeal[] = [];
    for (const [error, fields] of (await pipeline.exec()) ?? []) {
      const appeal = error ? undefined : parseAppeal(fields as Record<string, string>);
      if (appeal) appeals.push(appeal);
    }
    return appeals;
  });
}

export const decisionRequestSchema = z
  .object({ decision: z.enum(['uphold', 'lift']), reason: moderatorReasonSchema.optional() })
  .strict();
export type DecisionRequest = z.infer<typeof decisionRequestSchema>;

/** Decides an open appeal; `lift` lifts its ban on every gateway. Throws ModerationError `not_found` / `conflict`. */
export async function decideAppeal(redis: Redis, appealId: string, request: DecisionRequest, by: string, now = Date.now()): Promise<Appeal> {
  const body = decisionRequestSchema.parse(request);
  const appeal = await getAppeal(redis, appealId);
  if (!appeal) throw new ModerationError('not_found', `no appeal ${appealId}`);
  if (appeal.status !== 'open') throw new ModerationError('conflict', `appeal ${appealId} was already decided`);
  const status = body.decision === 'lift' ? 'lifted' : 'upheld';
  const decision: AppealDecision = { decision: body.decision, by, at: now, reason: body.reason ?? '' };
  const audit = auditJson({ at: now, by, action: body.decision === 'lift' ? 'appeal_lift' : 'appeal_uphold', target: appealId, reason: decision.reason, detail: { ban: appeal.ban } });
  const result = await withScripts(redis).modDecideAppeal(
    keys.appeal(appealId),
    keys.appealsByStatus('open'),
    keys.appealsByStatus(status),
    keys.ban(appeal.ban),
    keys.bansInForce,
    keys.banEvents,
    keys.audit,
    keys.stats,
    appealId,
    status,
    JSON.stringify(decision),
    audit,
    appeal.ban,
    String(now),
    by,
    decision.reason,
    String(defaultBanStreamMaxLength),
  );
  if (result === 0) throw new ModerationError('not_found', `no appeal ${appealId}`);
  if (result === -1) throw new ModerationError('conflict', `appeal ${appealId} was decided meanwhile`);
  return { ...appeal, status, decision };
}

/**
 * A fixed-window limit on appeals from one (hashed) address: true while it may send another.
 * INCR then PEXPIRE NX in one MULTI, so a window always ends.
 */
export async function takeAppealAllowance(redis: Redis, addressHash: string, perWindow: number, windowMs: number): Promise<boolean> {
  const key = keys.appealRate(addressHash);
  const replies = await redis.multi().incr(key).pexpire(key, windowMs, 'NX').exec();
  const count = Number(replies?.[0]?.[1] ?? Number.POSITIVE_INFINITY);
  return count <= perWindow;
}
