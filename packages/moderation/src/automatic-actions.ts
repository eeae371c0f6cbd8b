import type { Redis } from '@strangers/redis';
import { recordReport, type RecordedReport, type RecordReportOptions } from './reports.js';
import { TEXT_LIMITS, type Category, type EvidenceMessage } from './schemas.js';

/** The reporter of an automatic action: no person, no address. */
export const AUTOMATIC_REPORTER = 'automatic';

export interface AutomaticActionInput {
  /** The keyed address hash the action applies to (as the gateways compute it). */
  ipHash: string;
  /** The gateway that decided it. */
  gateway: string;
  /** The session that triggered it, if one did. */
  sid?: string;
  /** What was done, e.g. `shadow` (the flagged pool) or `challenge` (harder proofs of work). */
  action: string;
  /** ms since the epoch: when it was decided, and when it lapses by itself (if it does). */
  at: number;
  until?: number;
  /** Every signal's count or score behind it, e.g. `{skip: 12, repeat: 4}`. */
  signals: Record<string, number>;
  /** Queue category; `spam` unless said. */
  category?: Category;
  /** Messages that show it, if any (e.g. those a filter caught), as evidence. */
  messages?: EvidenceMessage[];
}

/**
 * Files an automatic action (one a system took by itself, such as packages/safety's abuse
 * scoring) in the moderation queue, as an open report by `automatic` against the address:
 * a moderator sees the action, its end and its signals in the console and confirms it (ban,
 * shadow-ban) or dismisses it. Retention, the purge and the counters are those of reports.
 * The action itself is the caller's: this records it, it does not apply it.
 */
export function recordAutomaticAction(redis: Redis, input: AutomaticActionInput, options: RecordReportOptions = {}): Promise<RecordedReport> {
  const summary = Object.entries(input.signals)
    .sort(([, a], [, b]) => b - a)
    .map(([signal, value]) => `${signal} ${Number.isInteger(value) ? value : value.toFixed(2)}`)
    .join(', ');
  const automatic = { action: input.action, signals: input.signals, ...(input.until === undefined ? {} : { until: input.until }) };
  return recordReport(
    redis,
    {
      chatId: `automatic:${input.sid ?? input.ipHash}`.slice(0, 128),
      reporter: { sid: AUTOMATIC_REPORTER, ipHash: AUTOMATIC_REPORTER, gateway: input.gateway },
      reported: { sid: input.sid ?? 'unknown', ipHash: input.ipHash, gateway: input.gateway },
      category: input.category ?? 'spam',
      reason: `automatic ${input.action}: ${summary}`.slice(0, TEXT_LIMITS.reportReason),
      at: input.at,
      messages: input.messages ?? [],
      automatic,
    },
    options,
  );
}
