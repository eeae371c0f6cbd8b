import { createMetricsRegistry, redisEventCounters } from '@strangers/config';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Pair } from './matching/pairing.js';

/**
 * Every Prometheus metric the matcher exports, served at `/metrics` on its status port.
 * One matcher runs per process, so the registry is module state; docs/deploying.md explains
 * each metric.
 */
export const registry = createMetricsRegistry();

/** What the on-scrape metrics read from the running matcher. */
export interface MatcherSource {
  readonly queueLength: number;
  readonly active: boolean;
  readonly stats: {
    readonly joins: number;
    readonly pairs: number;
    readonly batches: number;
    readonly ghosts: number;
    readonly takeovers: number;
  };
}

let source: MatcherSource | undefined;

/**
 * A counter that mirrors a running total the matcher already keeps (its `stats`), read at
 * scrape time: the loop's hot path needs no extra call. Totals only grow, so adding the
 * difference since the last scrape keeps the counter monotonic.
 */
function mirroredCounter(name: string, help: string, read: (from: MatcherSource) => number): Counter {
  let seen = 0;
  return new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      if (!source) return;
      const total = read(source);
      if (total > seen) this.inc(total - seen);
      seen = Math.max(seen, total);
    },
  });
}

export const metrics = {
  queueLength: new Gauge({
    name: 'strangers_matcher_queue_length',
    help: 'Sessions waiting to be paired',
    registers: [registry],
    collect() {
      this.set(source?.queueLength ?? 0);
    },
  }),
  active: new Gauge({
    name: 'strangers_matcher_active',
    help: '1 while this matcher holds the lease and pairs (active), 0 while it is a standby',
    registers: [registry],
    collect() {
      this.set(source?.active ? 1 : 0);
    },
  }),
  takeovers: mirroredCounter('strangers_matcher_lease_acquired_total', 'Times this matcher took the lease and became active', (m) => m.stats.takeovers),
  ghosts: mirroredCounter('strangers_matcher_ghost_joins_total', 'Joins and queued sessions dropped because the session had left, moved on or was gone', (m) => m.stats.ghosts),
  joins: mirroredCounter('strangers_matcher_joins_total', 'Join events applied (join, next, report, requeue)', (m) => m.stats.joins),
  pairs: mirroredCounter('strangers_matcher_pairs_total', 'Pairs stored (chats started)', (m) => m.stats.pairs),
  batches: mirroredCounter('strangers_matcher_batches_total', 'Event batches committed to Redis', (m) => m.stats.batches),
  waitTime: new Histogram({
    name: 'strangers_matcher_wait_seconds',
    help: 'How long each session of a new pair waited; outcome=interest when they share one, any otherwise',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 30, 60, 300],
    registers: [registry],
  }),
};

/** The `onEvent` option of createRedisClient: counts errors and reconnection attempts. */
export const countRedisEvent = redisEventCounters(registry, {
  errors: 'strangers_matcher_redis_errors_total',
  reconnects: 'strangers_matcher_redis_reconnects_total',
});

// Both outcomes exported from the start, so dashboards see the series before the first pair.
metrics.waitTime.zero({ outcome: 'interest' });
metrics.waitTime.zero({ outcome: 'any' });

/** Lets the on-scrape metrics read the running matcher. */
export function watchMatcher(matcher: MatcherSource): void {
  source = matcher;
}

/** The histogram's two series, looked up once rather than by label on every pair. */
const waitedFor = { interest: metrics.waitTime.labels({ outcome: 'interest' }), any: metrics.waitTime.labels({ outcome: 'any' }) };

/** A pair was made at `now`: records how long each side waited. */
export function pairMade(pair: Pair, now: number): void {
  const series = pair.shared.length > 0 ? waitedFor.interest : waitedFor.any;
  series.observe(Math.max(0, now - pair.a.enqueuedAt) / 1000);
  series.observe(Math.max(0, now - pair.b.enqueuedAt) / 1000);
}
