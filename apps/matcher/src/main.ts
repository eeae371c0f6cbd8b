import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { ConfigError, createLogger } from '@strangers/config';
import { createRedisClient, waitForRedisReady } from '@strangers/redis';
import { loadMatcherConfig, type MatcherConfig } from './config.js';
import { createStatusServer } from './http.js';
import { Matcher } from './matcher.js';
import { countRedisEvent, watchMatcher } from './metrics.js';

function loadConfigOrExit(): MatcherConfig {
  try {
    return loadMatcherConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`matcher: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ name: 'matcher', level: config.LOG_LEVEL, base: { matcher: config.MATCHER_ID } });
  const tlsCa = config.REDIS_TLS_CA_FILE === undefined ? undefined : readFileSync(config.REDIS_TLS_CA_FILE);
  const redis = createRedisClient({ url: config.REDIS_URL, tlsCa, logger, connectionName: `matcher:${config.MATCHER_ID}:commands`, onEvent: countRedisEvent });
  const reader = createRedisClient({ url: config.REDIS_URL, tlsCa, logger, connectionName: `matcher:${config.MATCHER_ID}:events`, onEvent: countRedisEvent });
  await waitForRedisReady(redis);
  const matcher = new Matcher(redis, reader, config, logger);
  watchMatcher(matcher);
  // Ready = connected and healthy, whether active or standby: a standby is a working part of
  // the deployment (it takes over within the lease TTL). The role is in the logs and the
  // strangers_matcher_active gauge.
  const status = createStatusServer(() => matcher.healthy && redis.status === 'ready');
  await new Promise<void>((resolve) => status.listen(config.METRICS_PORT, resolve));
  await matcher.start();
  logger.info({ port: (status.address() as AddressInfo).port, role: matcher.role }, 'matcher running');

  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    matcher
      .stop()
      .then(() => redis.quit())
      .then(
        () => {
          status.close();
          logger.info('matcher stopped');
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'unclean stop');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`matcher: failed to start: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
