import type { SignalLimits } from './config.js';

/**
 * A token bucket for one session's `signal` frames: `burst` at once (a call's start trickles
 * a dozen or two ICE candidates), refilled at `perSecond`. Its own bucket, not the chat
 * frame bucket, so a call's setup never eats the text messages' allowance. Time is passed
 * in so the arithmetic is testable without clocks.
 */
export class SignalRateLimiter {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly limits: Pick<SignalLimits, 'perSecond' | 'burst'>,
    now: number = Date.now(),
  ) {
    this.tokens = limits.burst;
    this.updatedAt = now;
  }

  /** Takes one token if there is one. */
  take(now: number = Date.now()): boolean {
    const elapsed = Math.max(0, now - this.updatedAt);
    this.tokens = Math.min(this.limits.burst, this.tokens + (elapsed / 1000) * this.limits.perSecond);
    this.updatedAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
