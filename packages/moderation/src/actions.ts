import { z } from 'zod';
import type { Redis } from '@strangers/redis';
import { auditJson } from './audit.js';
import { ModerationError } from './errors.js';
import { newId } from './ids.js';
import { moderationKeys as keys } from './keys.js';
import { getReport } from './reports.js';
import { withScripts } from './scripts.js';
import { ACTIONS, BAN_GROUNDS, banGroundSchema, TEXT_LIMITS, type BanRecord, type ReportAction, type ReportRecord } from './schemas.js';

/** Bans last at least a minute and at most ten years; no duration: permanent. */
export const MIN_BAN_SECONDS = 60;
export const MAX_BAN_SECONDS = 10 * 365 * 24 * 3600;

/** Free text of a moderator: why (shown to the user in a ban's statement). */
export const moderatorReasonSchema = z.string().trim().max(TEXT_LIMITS.moderatorReason);

const isGround = (value: string | undefined): value is keyof typeof BAN_GROUNDS => value !== undefined && Object.hasOwn(BAN_GROUNDS, value);

/**
 * The body of `POST /api/reports/<id>/actions` (PROTOCOL.md §5): `reason` is the moderator's
 * free text, `ground` a code of BAN_GROUNDS. A ban or shadow ban needs one of them; a
 * `reason` that is itself a ground code, without `ground`, is taken as the ground, and a
 * free-text reason without `ground` has the ground `other`.
 */
export const actionRequestSchema = z
  .object({
    action: z.enum(ACTIONS),
    duration: z.number().int().min(MIN_BAN_SECONDS).max(MAX_BAN_SECONDS).optional(),
    ground: banGroundSchema.optional(),
    reason: moderatorReasonSchema.optional(),
  })
  .strict()
  .refine((body) => body.action === 'dismiss' || body.ground !== undefined || (body.reason ?? '') !== '', {
    message: 'a ban or shadow ban needs a reason (or a ground from the list)',
    path: ['reason'],
  })
  .refine((body) => body.action !== 'dismiss' || body.duration === undefined, {
    message: 'a dismissal has no duration',
    path: ['duration'],
  });
export type ActionRequest = z.infer<typeof actionRequestSchema>;

export interface BanSettings {
  /** The moderation service's public base URL: appeal links are `<publicUrl>/appeal/<ban id>`. */
  publicUrl: string;
  /** How long a temporary ban's record outlives it (for appeals and history). */
  historyDays?: number;
  /** Approximate bound on the ban stream. */
  streamMaxLength?: number;
}

export const defaultBanStreamMaxLength = 10_000;
const DAY_MS = 24 * 3600 * 1000;

export interface ActionResult {
  report: ReportRecord;
  action: ReportAction;
  ban?: BanRecord;
}

export function appealLink(publicUrl: string, banId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/appeal/${banId}`;
}

/**
 * Acts on an open report as moderator `by`: dismisses it, or bans / shadow-bans the reported
 * address (its keyed hash) for `duration` seconds or for good. One script: the report moves
 * out of the open queue, the ban goes in force and onto the ban stream, the audit log and the
 * counters are written, or nothing is. Throws ModerationError `not_found` / `conflict` (decided already).
 */
export async function actOnReport(
  redis: Redis,
  reportId: string,
  request: ActionRequest,
  by: string,
  settings: BanSettings,
  now = Date.now(),
): Promise<ActionResult> {
  const body = actionRequestSchema.parse(request);
  const report = await getReport(redis, reportId);
  if (!report) throw new ModerationError('not_found', `no report ${reportId}`);
  if (report.status !== 'open') throw new ModerationError('conflict', `report ${reportId} was already ${report.status}`);
  // A bare ground code given as the reason is the ground, with no free text.
  const codeAsReason = body.ground === undefined && isGround(body.reason);
  const ground = body.ground ?? (codeAsReason ? (body.reason as keyof typeof BAN_GROUNDS) : 'other');
  const reason = codeAsReason ? '' : (body.reason ?? '');
  let ban: BanRecord | undefined;
  if (body.action !== 'dismiss') {
    const id = newId(now);
    ban = { id, kind: body.action, ipHash: report.reported.ipHash, ground, reason, createdAt: now, by, report: reportId, appeal: appealLink(settings.publicUrl, id) };
    if (body.duration !== undefined) ban.until = now + body.duration * 1000;
  }
  const action: ReportAction = { action: body.action, by, at: now, reason };
  if (ban) action.ground = ground;
  if (ban) action.ban = ban.id;
  const status = body.action === 'dismiss' ? 'dismissed' : 'actioned';
  const audit = auditJson({
    at: now,
    by,
    action: body.action,
    target: reportId,
    ...(ban ? { ground } : {}),
    reason,
    detail: ban ? { ban: ban.id, duration: body.duration ?? 'permanent', category: report.category } : { category: report.category },
  });
  const banKey = ban ? keys.ban(ban.id) : keys.ban('none');
  const banExpiry = ban?.until === undefined ? '' : String(ban.until + (settings.historyDays ?? 365) * DAY_MS);
  const result = await withScripts(redis).modActOnReport(
    keys.report(reportId),
    keys.reportsByStatus('open'),
    keys.reportsByStatusCategory('open', report.category),
    keys.reportsByStatus(status),
    keys.reportsByStatusCategory(status, report.category),
    banKey,
    keys.bansInForce,
    keys.banEvents,
    keys.audit,
    keys.stats,
    reportId,
    status,
    JSON.stringify(action),
    audit,
    `actions:${body.action}`,
    ban?.id ?? '',
    ban ? JSON.stringify(ban) : '',
    ban?.until === undefined ? '+inf' : String(ban.until),
    banExpiry,
    String(settings.streamMaxLength ?? defaultBanStreamMaxLength),
  );
  if (result === 0) throw new ModerationError('not_found', `no report ${reportId}`);
  if (result === -1) throw new ModerationError('conflict', `report ${reportId} was decided meanwhile`);
  const { evidence: _evidence, status: _status, action: _previous, ...record } = report;
  return ban ? { report: record, action, ban } : { report: record, action };
}
