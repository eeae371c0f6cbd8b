/**
 * Every Redis key of moderation. All of them carry the hash tag `{mod}`, so they live in one
 * Redis Cluster slot and every script and MULTI below (a report with its indexes, an action
 * with its ban, stream event and audit entry) is single-slot. Moderation writes are rare (a
 * report, a moderator's click), so one slot is no hot spot.
 *
 * Report, ban and appeal ids begin with their creation time (see ids.ts), so a sorted set
 * whose members all score 0 lists them oldest first with ZRANGE BYLEX, and a cursor is the
 * last id seen.
 */
import type { Category, ReportStatus, AppealStatus } from './schemas.js';

const TAG = '{mod}';

export const moderationKeys = {
  /** Hash: `record` (JSON, immutable), `evidence` (JSON), `status`, `action` (JSON, once acted on). PEXPIREAT at its retention end. */
  report: (id: string) => `${TAG}:report:${id}`,
  /** Sorted set (scores 0, by id): the reports in one status. */
  reportsByStatus: (status: ReportStatus) => `${TAG}:reports:${status}`,
  /** Sorted set (scores 0, by id): the reports in one status and category. */
  reportsByStatusCategory: (status: ReportStatus, category: Category) => `${TAG}:reports:${status}:${category}`,
  /** Sorted set: report id → the time (ms) its retention ends; what the purge reads. */
  reportExpiry: `${TAG}:reports:expiry`,

  /** Hash: `record` (JSON, immutable), `liftedAt`, `liftedBy`, `liftReason`, `appeal` (the appeal id, once appealed). */
  ban: (id: string) => `${TAG}:ban:${id}`,
  /** Sorted set: ban id → until (ms; +inf for permanent): the bans and shadow bans in force. */
  bansInForce: `${TAG}:bans:active`,
  /** Stream: `t` = `add` (`ban` = the ban's JSON) or `lift` (`ban` = its id). Gateways follow it. */
  banEvents: `${TAG}:bans:events`,

  /** Hash: `record` (JSON, immutable), `status`, `decision` (JSON, once decided). */
  appeal: (id: string) => `${TAG}:appeal:${id}`,
  /** Sorted set (scores 0, by id): the appeals in one status. */
  appealsByStatus: (status: AppealStatus) => `${TAG}:appeals:${status}`,
  /** String counter with a TTL: appeals made from one hashed address in the current window. */
  appealRate: (addressHash: string) => `${TAG}:appeal-rate:${addressHash}`,

  /** Stream: one entry (`entry` = JSON) per action: who, when, what, why. Trimmed by the purge (MINID). */
  audit: `${TAG}:audit`,
  /** Hash: running totals for transparency (`reports:<category>`, `actions:<kind>`, `appeals:<outcome>`). */
  stats: `${TAG}:stats`,
} as const;
