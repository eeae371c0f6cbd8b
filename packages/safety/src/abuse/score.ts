import { abuseSignals, type AbuseSettings, type AbuseSignal } from '../config.js';

export type SignalCounts = Record<AbuseSignal, number>;

/**
 * One address's signals: each a count of events that decays exponentially (halving every
 * `halfLifeMs`), as of time `at`. A steady rate of r events a minute settles at a count of
 * r × half-life-in-minutes / ln 2 (≈ 7.2 r for 5 minutes), so a count reads as "events in
 * roughly the last half-life and a bit".
 */
export interface AbuseState {
  counts: SignalCounts;
  at: number;
}

export interface AbuseCause {
  signal: AbuseSignal;
  count: number;
  free: number;
  weight: number;
  /** weight × (count − free): this signal's share of the score. */
  points: number;
}

/** An automatic, temporary action, with what caused it, for the matcher's flagged pool (or the gate) and the moderation queue. */
export interface AbuseDecision {
  address: string;
  action: 'shadow' | 'challenge';
  at: number;
  until: number;
  score: number;
  threshold: number;
  /** Every signal's decayed count when it was decided. */
  signals: SignalCounts;
  /** The signals over their free allowance, largest share first. */
  causes: AbuseCause[];
}

export type ScoreSettings = Pick<AbuseSettings, 'weights' | 'free' | 'halfLifeMs'>;

export function emptyAbuseState(now: number): AbuseState {
  return { counts: { skip: 0, repeat: 0, blocked: 0, report: 0, connection: 0 }, at: now };
}

/** The state as of `now` (never earlier than `state.at`): every count decayed. Pure. */
export function decayAbuseState(state: AbuseState, now: number, halfLifeMs: number): AbuseState {
  if (now <= state.at) return state;
  const factor = 2 ** (-(now - state.at) / halfLifeMs);
  const counts = { ...state.counts };
  for (const signal of abuseSignals) counts[signal] *= factor;
  return { counts, at: now };
}

/** The state after `amount` events of `signal` at `now`. Pure. */
export function addSignal(state: AbuseState, signal: AbuseSignal, now: number, halfLifeMs: number, amount = 1): AbuseState {
  const current = decayAbuseState(state, now, halfLifeMs);
  return { counts: { ...current.counts, [signal]: current.counts[signal] + amount }, at: current.at };
}

/** Each signal's share: weight × max(0, count − free allowance). */
export function abuseCauses(counts: SignalCounts, settings: Pick<AbuseSettings, 'weights' | 'free'>): AbuseCause[] {
  return abuseSignals
    .map((signal) => {
      const count = counts[signal];
      const free = settings.free[signal];
      const weight = settings.weights[signal];
      return { signal, count, free, weight, points: weight * Math.max(0, count - free) };
    })
    .filter((cause) => cause.points > 0)
    .sort((a, b) => b.points - a.points);
}

/** The score of a state as of `now`: Σ weight × max(0, decayed count − free). Non-decreasing in every count, non-increasing in time. */
export function abuseScore(state: AbuseState, now: number, settings: ScoreSettings): number {
  const { counts } = decayAbuseState(state, now, settings.halfLifeMs);
  let score = 0;
  for (const signal of abuseSignals) score += settings.weights[signal] * Math.max(0, counts[signal] - settings.free[signal]);
  return score;
}

const round = (value: number) => Math.round(value * 100) / 100;

/** The action a state calls for at `now`, if its score reached the threshold (threshold 0: never). Pure. */
export function decideAbuseAction(address: string, state: AbuseState, now: number, settings: AbuseSettings): AbuseDecision | undefined {
  if (settings.threshold <= 0) return undefined;
  const score = abuseScore(state, now, settings);
  if (score < settings.threshold) return undefined;
  const { counts } = decayAbuseState(state, now, settings.halfLifeMs);
  const signals = Object.fromEntries(abuseSignals.map((signal) => [signal, round(counts[signal])])) as SignalCounts;
  const causes = abuseCauses(counts, settings).map((cause) => ({ ...cause, count: round(cause.count), points: round(cause.points) }));
  return { address, action: settings.action, at: now, until: now + settings.actionMs, score: round(score), threshold: settings.threshold, signals, causes };
}
