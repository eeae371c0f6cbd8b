import { readFileSync } from 'node:fs';
import { closeServer, createMetricsRegistry, listen, redisEventCounters, runService } from '@strangers/config';
import { createRedisClient, waitForRedisReady } from '@strangers/redis';
import { loadModerationConfig } from './config.js';
import { startPurger } from './purger.js';
import { createModerationServer } from './server.js';

runService({
  name: 'moderation',
  loadConfig: () => loadModerationConfig(),
  logger: (config) => ({ level: config.logLevel }),
  stopTimeoutMs: 8000,
  async start(config, logger) {
    const tlsCa = config.redisTlsCaFile === undefined ? undefined : readFileSync(config.redisTlsCaFile);
    const registry = createMetricsRegistry();
    const countRedisEvent = redisEventCounters(registry, { errors: 'strangers_moderation_redis_errors_total', reconnects: 'strangers_moderation_redis_reconnects_total' });
    const redis = createRedisClient({ url: config.redisUrl, tlsCa, logger, connectionName: 'moderation:commands', onEvent: countRedisEvent });
    await waitForRedisReady(redis);
    const { server } = createModerationServer(config, redis, logger, registry);
    const port = await listen(server, config.port, config.host);
    if (config.moderators.length === 0) logger.warn('MODERATOR_TOKENS is not set: the moderation API is off');
    const purger = startPurger(redis, config, logger);
    logger.info({ port, moderators: config.moderators.length }, 'moderation listening');
    return {
      async stop() {
        purger.stop();
        await closeServer(server);
        await redis.quit();
      },
    };
  },
});
