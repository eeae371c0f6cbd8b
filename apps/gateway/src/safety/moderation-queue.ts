import { recordReport, type Category, type EvidenceMessage } from '@strangers/moderation';
import type { Redis } from '@strangers/redis';
import { recordAutoAction, type AbuseDecision, type AbuseSignal } from '@strangers/safety';

/** Where and what a decision was taken on: the session whose signal took the score over. */
export interface DecisionContext {
  session: string;
  /** The chat it was in, if any. */
  chat: string | undefined;
  /** The message that took it over (repeat, blocked), as it would have been stored. */
  message?: { seq: number; ts: number; text: string };
}

/** The reporter of an automatic report: no person, this gateway's abuse scorer. */
export const automaticReporter = 'automatic';

const categoryBySignal: Record<AbuseSignal, Category> = { repeat: 'spam', blocked: 'spam', skip: 'spam', connection: 'spam', report: 'other' };

/**
 * Puts an automatic action in the moderation queue (packages/moderation) for a human to
 * confirm (ban, shadow ban) or dismiss: a report whose reporter is `automatic`, its reason the
 * action and its signals, its evidence the message that decided it. The full decision (every
 * signal's count, the causes) also goes to `{mod}:auto` (packages/safety abuse/auto-actions.ts).
 */
export async function queueAutomaticAction(redis: Redis, decision: AbuseDecision, context: DecisionContext, gatewayId: string): Promise<void> {
  const causes = decision.causes.map((cause) => `${cause.signal} ${cause.count}×${cause.weight}`).join(', ');
  const reason = `automatic ${decision.action} until ${new Date(decision.until).toISOString()}: score ${decision.score} ≥ ${decision.threshold} (${causes})`.slice(0, 200);
  const messages: EvidenceMessage[] = context.message ? [{ ...context.message, from: 'reported' }] : [];
  await Promise.all([
    recordReport(redis, {
      chatId: context.chat ?? 'none',
      reporter: { sid: automaticReporter, ipHash: automaticReporter, gateway: gatewayId },
      reported: { sid: context.session, ipHash: decision.address, gateway: gatewayId },
      category: categoryBySignal[decision.causes[0]?.signal ?? 'repeat'],
      reason,
      at: decision.at,
      messages,
    }),
    recordAutoAction(redis, decision, gatewayId),
  ]);
}
