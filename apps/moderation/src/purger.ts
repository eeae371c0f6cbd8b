import type { Logger } from '@strangers/config';
import { purgeExpired } from '@strangers/moderation';
import type { Redis } from '@strangers/redis';
import type { ModerationConfig } from './config.js';

/** Retention is enforced here: one purge at start, then every PURGE_INTERVAL_MS. */
export function startPurger(redis: Redis, config: ModerationConfig, logger: Logger): { stop(): void } {
  const purge = () =>
    purgeExpired(redis, { auditRetentionDays: config.auditRetentionDays }).then(
      (result) => {
        if (result.reports + result.appeals + result.bansExpired + result.auditEntries > 0) logger.info(result, 'purged expired records');
      },
      (error: Error) => logger.warn({ err: error.message }, 'purge failed; will retry'),
    );
  void purge();
  const timer = setInterval(() => void purge(), config.purgeIntervalMs);
  return { stop: () => clearInterval(timer) };
}
