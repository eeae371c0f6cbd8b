import type { Logger } from '@strangers/config';
import { isCluster, type Redis } from '@strangers/redis';
import { metrics } from '../metrics.js';

/** A field of `INFO memory` as a number, or undefined. */
function infoField(info: string, name: string): number | undefined {
  const match = new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info);
  return match ? Number(match[1]) : undefined;
}

/**
 * Samples `INFO memory` of Redis (each master of a cluster) into the used/max memory gauges,
 * for the alert on a Redis filling up towards its `maxmemory` (with `noeviction` it then
 * refuses writes: docs/deploying.md has the rule). A sample per interval, not per scrape:
 * scrapers must not be able to add Redis load.
 */
export class RedisMemorySampler {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly intervalMs: number,
    private readonly logger: Logger,
  ) {}

  async start(): Promise<void> {
    await this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  async sample(): Promise<void> {
    const nodes = isCluster(this.redis) ? this.redis.nodes('master') : [this.redis];
    await Promise.all(
      nodes.map(async (node) => {
        try {
          const info = await node.info('memory');
          const label = { node: `${node.options.host ?? ''}:${node.options.port ?? ''}` };
          const used = infoField(info, 'used_memory');
          const max = infoField(info, 'maxmemory');
          if (used !== undefined) metrics.redisUsedMemory.set(label, used);
          if (max !== undefined) metrics.redisMaxMemory.set(label, max);
        } catch (error) {
          this.logger.debug({ err: (error as Error).message }, 'redis memory not sampled');
        }
      }),
    );
  }
}
