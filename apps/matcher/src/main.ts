import { closeServer, createStatusServer, listen, runService } from '@strangers/config';
import { createRedisClient, waitForRedisReady } from '@strangers/redis';
import { loadMatcherConfig } from './config.js';
import { Matcher } from './matcher.js';
import { countRedisEvent, registry, watchMatcher } from './metrics.js';

runService({
  name: 'matcher',
  loadConfig: () => loadMatcherConfig(),
  logger: (config) => ({ level: config.logLevel, base: { matcher: config.matcherId } }),
  // Below compose's stop_grace_period (10 s): the stop is a lease release and two quits.
  stopTimeoutMs: 8000,
  async start(config, logger) {
    const connection = (role: string) =>
      createRedisClient({ url: config.redisUrl, tlsCa: config.redisTlsCa, logger, connectionName: `matcher:${config.matcherId}:${role}`, onEvent: countRedisEvent });
    const redis = connection('commands');
    const reader = connection('events');
    await waitForRedisReady(redis);
    const matcher = new Matcher(redis, reader, config, logger);
    watchMatcher(matcher);
    // Ready = connected and healthy, whether active or standby: a standby is a working part of
    // the deployment (it takes over within the lease TTL). The role is in the logs and the
    // strangers_matcher_active gauge.
    const status = createStatusServer({ isReady: () => matcher.healthy && redis.status === 'ready', registry });
    const port = await listen(status, config.status.port, config.status.host);
    await matcher.start();
    logger.info({ port, host: config.status.host, role: matcher.role }, 'matcher running');
    return {
      async stop() {
        await matcher.stop();
        await redis.quit();
        await closeServer(status);
      },
    };
  },
});
