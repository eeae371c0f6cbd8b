import { KeyedRateLimit } from './keyed-rate-limit.js';

/** Reports per client address, by its hash (what a `/ws` session knows of its address). */
export interface ReportLimit {
  /** Takes one report for `ipHash`; false: refused (`rate_limited`, and the report has no effect). */
  take(ipHash: string): boolean;
}

/**
 * `count` reports per `windowMs` per client address on this gateway. `exemptHashes` (the
 * loopback addresses' hashes unless LIMIT_LOOPBACK, like every per-address limit) are never
 * limited: local load tests report from one address.
 */
export function createReportLimit(count: number, windowMs: number, exemptHashes: readonly string[]): ReportLimit {
  const limit = KeyedRateLimit.perWindow(count, windowMs);
  const exempt = new Set(exemptHashes);
  return { take: (ipHash) => exempt.has(ipHash) || limit.take(ipHash) };
}
