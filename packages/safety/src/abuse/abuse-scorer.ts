import { LRUCache } from 'lru-cache';
import type { AbuseSettings, AbuseSignal } from '../config.js';
import type { SafetyMetrics } from '../metrics.js';
import { abuseScore, addSignal, decideAbuseAction, emptyAbuseState, type AbuseDecision, type AbuseState } from './score.js';

interface Tracked {
  state: AbuseState;
  /** The action in force, until its `until`. */
  action: AbuseDecision | undefined;
}

/**
 * Per-address abuse scores, in this gateway's memory (an LRU of ABUSE_MAX_ADDRESSES
 * addresses; one seen on several gateways is scored on each). The gateway reports signals
 * as they happen; a signal that takes the score over the threshold returns a decision, once
 * per action: the gateway publishes it (the matcher's flagged pool for `shadow`, the gate's
 * `requireHarder` for `challenge`) and puts it in the moderation queue with its causes.
 */
export class AbuseScorer {
  private readonly addresses: LRUCache<string, Tracked>;

  constructor(
    private readonly settings: AbuseSettings,
    private readonly deps: { metrics?: Pick<SafetyMetrics, 'abuseActions'> } = {},
  ) {
    this.addresses = new LRUCache({ max: settings.maxAddresses });
  }

  /** Records `amount` events of `signal` from `address` at `now`; a new decision when it starts an action. */
  record(address: string, signal: AbuseSignal, now: number, amount = 1): AbuseDecision | undefined {
    const tracked = this.addresses.get(address) ?? { state: emptyAbuseState(now), action: undefined };
    tracked.state = addSignal(tracked.state, signal, now, this.settings.halfLifeMs, amount);
    this.addresses.set(address, tracked);
    if (tracked.action !== undefined && tracked.action.until > now) return undefined;
    tracked.action = decideAbuseAction(address, tracked.state, now, this.settings);
    if (tracked.action !== undefined) this.deps.metrics?.abuseActions.inc({ action: tracked.action.action });
    return tracked.action;
  }

  /** The address's score at `now` (0 if unknown). */
  score(address: string, now: number): number {
    const tracked = this.addresses.peek(address);
    return tracked === undefined ? 0 : abuseScore(tracked.state, now, this.settings);
  }

  /** The action in force for the address at `now`, if any (e.g. to ask a reconnecting client the harder proof). */
  activeAction(address: string, now: number): AbuseDecision | undefined {
    const action = this.addresses.peek(address)?.action;
    return action !== undefined && action.until > now ? action : undefined;
  }

  /** A moderator undid the action (or it was lifted elsewhere): forget it and the signals behind it. */
  clear(address: string): void {
    this.addresses.delete(address);
  }
}
