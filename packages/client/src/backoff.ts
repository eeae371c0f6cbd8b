/** How long to wait between reconnect attempts. */
export interface BackoffOptions {
  /** Delay before the first retry, in ms (before jitter). Default 250. */
  initialMs?: number;
  /** Upper bound of any delay, in ms. Default 5000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Give up (emit `closed`) after this many failed attempts in a row. Default: never. */
  maxAttempts?: number;
}

export const defaultBackoff: Required<BackoffOptions> = {
  initialMs: 250,
  maxMs: 5000,
  factor: 2,
  maxAttempts: Number.POSITIVE_INFINITY,
};

/**
 * Exponential backoff with "equal jitter": half of the delay is fixed, half random. The
 * fixed half keeps a retry from hammering a gateway that just died; the random half keeps
 * thousands of clients of that gateway from all reconnecting in the same millisecond.
 * `attempt` counts from 0.
 */
export function backoffDelay(attempt: number, options: Required<BackoffOptions>, random: () => number = Math.random): number {
  const exponential = Math.min(options.maxMs, options.initialMs * options.factor ** attempt);
  return Math.round(exponential / 2 + (exponential / 2) * random());
}
