import type { Logger } from '@strangers/config';
import { keys, type Redis } from '@strangers/redis';

/** A gateway's published count is ignored once older than this many publish intervals. */
const STALE_AFTER_INTERVALS = 5;
/** …and deleted once older than this many: a gateway gone without its reaper's cleanup (it held no sessions). */
const DELETE_AFTER_INTERVALS = 30;

/**
 * The `online` figure: each gateway publishes its own `/ws` session count into one hash
 * and sums everyone's fresh entries. It lags by up to one interval, as PROTOCOL.md allows.
 */
export class OnlineCounter {
  private total = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly gatewayId: string,
    private readonly intervalMs: number,
    private readonly localCount: () => number,
    private readonly logger: Logger,
  ) {}

  /** Never below our own count: a fresh figure beats a stale one. */
  get value(): number {
    return Math.max(this.total, this.localCount());
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.hdel(keys.onlineCounts, this.gatewayId).catch(() => {});
  }

  private async refresh(): Promise<void> {
    const now = Date.now();
    try {
      const [, all] = await Promise.all([
        this.redis.hset(keys.onlineCounts, this.gatewayId, `${this.localCount()}|${now}`),
        this.redis.hgetall(keys.onlineCounts),
      ]);
      let total = 0;
      const gone: string[] = [];
      for (const [gateway, value] of Object.entries(all)) {
        const [count, at] = value.split('|').map(Number);
        const age = now - (at ?? 0);
        if (gateway === this.gatewayId) total += this.localCount();
        else if (age < this.intervalMs * STALE_AFTER_INTERVALS) total += count ?? 0;
        else if (!(age < this.intervalMs * DELETE_AFTER_INTERVALS)) gone.push(gateway);
      }
      this.total = total;
      if (gone.length > 0) await this.redis.hdel(keys.onlineCounts, ...gone);
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'online count not refreshed');
    }
  }
}
