import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError, createLogger } from '@strangers/config';
import { purgeExpired } from '@strangers/moderation';
import { createRedisClient, waitForRedisReady } from '@strangers/redis';
import { loadModerationConfig, type ModerationConfig } from './config.js';
import { createModerationServer } from './server.js';

function loadConfigOrExit(): ModerationConfig {
  try {
    return loadModerationConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`moderation: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'moderation', level: config.logLevel });
  const tlsCa = config.redisTlsCaFile === undefined ? undefined : readFileSync(config.redisTlsCaFile);
  const redis = createRedisClient({ url: config.redisUrl, tlsCa, logger, connectionName: 'moderation:commands' });
  await waitForRedisReady(redis);
  const { server } = createModerationServer(config, redis, logger);
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  if (config.moderators.length === 0) logger.warn('MODERATOR_TOKENS is not set: the moderation API is off');

  // Retention is enforced here: one pass at start, then every PURGE_INTERVAL_MS.
  const purge = () =>
    purgeExpired(redis, { auditRetentionDays: config.auditRetentionDays }).then(
      (result) => {
        if (result.reports + result.appeals + result.bansExpired + result.auditEntries > 0) logger.info(result, 'purged expired records');
      },
      (error: Error) => logger.warn({ err: error.message }, 'purge failed; will retry'),
    );
  void purge();
  const purger = setInterval(purge, config.purgeIntervalMs);
  logger.info({ port: (server.address() as AddressInfo).port, moderators: config.moderators.length }, 'moderation listening');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    clearInterval(purger);
    server.close();
    server.closeIdleConnections();
    redis.quit().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`moderation: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
