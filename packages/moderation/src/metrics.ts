import { Counter, Histogram, type Registry } from 'prom-client';
import type { Redis } from '@strangers/redis';
import { moderationKeys as keys } from './keys.js';
import { ACTIONS, CATEGORIES } from './schemas.js';

export interface ModerationMetrics {
  /** Observe, in seconds, the time from a report to the first action on it. */
  timeToFirstAction: Histogram;
}

/**
 * A counter that shows a running total kept in `{mod}:stats` (so it counts what every
 * gateway and service instance did, and survives restarts), read at scrape time.
 */
function storedCounter(registry: Registry, redis: Redis, name: string, help: string, label: string, values: readonly string[], field: (value: string) => string): Counter {
  return new Counter({
    name,
    help,
    labelNames: [label],
    registers: [registry],
    async collect() {
      const totals = await redis.hmget(keys.stats, ...values.map(field));
      this.reset();
      values.forEach((value, i) => this.inc({ [label]: value }, Number(totals[i] ?? 0)));
    },
  });
}

/**
 * The transparency counters (reports by category, actions by kind, appeals and outcomes),
 * totals across the deployment, plus the time-to-first-action histogram of this process.
 */
export function registerModerationMetrics(registry: Registry, redis: Redis): ModerationMetrics {
  storedCounter(registry, redis, 'strangers_moderation_reports_total', 'Reports received, by category (all time, every gateway)', 'category', CATEGORIES, (c) => `reports:${c}`);
  storedCounter(registry, redis, 'strangers_moderation_actions_total', 'Moderation actions, by kind (all time)', 'action', [...ACTIONS, 'lift'], (a) => `actions:${a}`);
  storedCounter(registry, redis, 'strangers_moderation_appeals_total', 'Appeals made (outcome=created) and decided (upheld, lifted), all time', 'outcome', ['created', 'upheld', 'lifted'], (o) => `appeals:${o}`);
  const timeToFirstAction = new Histogram({
    name: 'strangers_moderation_time_to_first_action_seconds',
    help: 'Time from a report to the first action on it (dismiss, ban or shadowban), as decided through this process',
    buckets: [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 24 * 3600, 3 * 24 * 3600, 7 * 24 * 3600],
    registers: [registry],
  });
  return { timeToFirstAction };
}
