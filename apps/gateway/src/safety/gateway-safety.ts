import type { Logger } from '@strangers/config';
import type { Redis } from '@strangers/redis';
import { createSafety, type AbuseDecision, type AbuseSignal, type Safety, type SafetyConfig } from '@strangers/safety';
import type { Registry } from 'prom-client';
import type { ChatStore } from '../chat/chat-store.js';
import { queueAutomaticAction, type DecisionContext } from './moderation-queue.js';
import { SessionGuard, type GuardedSession } from './session-guard.js';

/**
 * The gateway's abuse prevention (packages/safety, docs/abuse-prevention.md), wired to this
 * gateway: the proof-of-work gate, the content filters and the moderation hook on each
 * session's frames (a SessionGuard per session), and the abuse scorer whose decisions it
 * carries out — a `shadow` goes to the matcher as a `flag` event (the flagged pool), a
 * `challenge` to the session as a harder proof — and puts in the moderation queue
 * (moderation-queue.ts).
 */
export class GatewaySafety {
  readonly blocks: Safety;

  constructor(
    readonly config: SafetyConfig,
    private readonly deps: { redis: Redis; chats: ChatStore; registry: Registry; gatewayId: string; logger: Logger },
  ) {
    this.blocks = createSafety(config, { redis: deps.redis, registry: deps.registry, logger: deps.logger });
  }

  /** Whether any layer is on: when none is, sessions get no guard and frames go straight to their machine. */
  get active(): boolean {
    const { pow, filters, hook, abuse } = this.config;
    return (
      pow.mode !== 'off' ||
      filters.links === 'block' ||
      filters.contacts.mode === 'block' ||
      filters.words.length > 0 ||
      filters.repeat.mode === 'block' ||
      hook.url !== undefined ||
      abuse.threshold > 0
    );
  }

  /** A guard for one session (fresh, resumed or handed over), or undefined when every layer is off. */
  guard(session: GuardedSession): SessionGuard | undefined {
    return this.active ? new SessionGuard(session, this) : undefined;
  }

  /** Reports a signal of `address`; a decision it triggers is carried out on `session`, the one that caused it. */
  signal(address: string, signal: AbuseSignal, session: SessionGuard, context: DecisionContext): void {
    const decision = this.blocks.scorer.record(address, signal, Date.now());
    if (decision !== undefined) this.carryOut(decision, session, context);
  }

  private carryOut(decision: AbuseDecision, session: SessionGuard, context: DecisionContext): void {
    const { chats, redis, gatewayId, logger } = this.deps;
    const causes = decision.causes.map((cause) => cause.signal);
    logger.info({ ipHash: decision.address, action: decision.action, score: decision.score, causes }, 'automatic abuse action');
    if (decision.action === 'shadow') {
      // Before this session's next join (same connection, same stream): that join is flagged.
      chats.publish({ t: 'flag', ipHash: decision.address, until: decision.until }).catch((error: Error) => logger.warn({ err: error.message }, 'flag not published'));
    } else {
      session.requireHarderProof();
    }
    queueAutomaticAction(redis, decision, context, gatewayId).catch((error: Error) => logger.warn({ err: error.message }, 'automatic action not recorded in the moderation queue'));
  }
}
