import { Counter, Histogram, type Registry } from 'prom-client';

export type FilterName = 'links' | 'contacts' | 'words' | 'repeat' | 'hook';

/** The safety metrics on a service's registry; docs/abuse-prevention.md explains each. */
export interface SafetyMetrics {
  /** Messages refused, by filter (`hook` = the moderation hook said no, or failed closed). */
  messagesBlocked: Counter<'filter'>;
  /** Proofs of work checked, by result (`ok` or the refusal reason). */
  powVerifications: Counter<'result'>;
  /** Challenges sent, by why (`welcome`, `burst`, `refused`, `abuse`); the gateway counts them. */
  powChallenges: Counter<'reason'>;
  /** Moderation hook verdict time, by outcome (`allow`, `block`, `failed`). */
  hookDuration: Histogram<'outcome'>;
  /** Moderation hook failures, by reason (`timeout`, `error`, `status`, `bad_answer`, `queue_full`). */
  hookFailures: Counter<'reason'>;
  /** Automatic abuse actions taken, by action (`shadow`, `challenge`). */
  abuseActions: Counter<'action'>;
}

export function registerSafetyMetrics(registry: Registry): SafetyMetrics {
  const registers = [registry];
  return {
    messagesBlocked: new Counter({ name: 'strangers_safety_messages_blocked_total', help: 'Messages refused (error blocked), by filter', labelNames: ['filter'], registers }),
    powVerifications: new Counter({ name: 'strangers_safety_pow_verifications_total', help: 'Proofs of work checked, by result', labelNames: ['result'], registers }),
    powChallenges: new Counter({ name: 'strangers_safety_pow_challenges_total', help: 'Proof-of-work challenges sent, by reason', labelNames: ['reason'], registers }),
    hookDuration: new Histogram({
      name: 'strangers_safety_moderation_hook_seconds',
      help: 'Time to a moderation hook verdict (queueing included), by outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    hookFailures: new Counter({ name: 'strangers_safety_moderation_hook_failures_total', help: 'Moderation hook calls that gave no verdict (the fail mode answered), by reason', labelNames: ['reason'], registers }),
    abuseActions: new Counter({ name: 'strangers_safety_abuse_actions_total', help: 'Automatic temporary actions on an address, by action', labelNames: ['action'], registers }),
  };
}
