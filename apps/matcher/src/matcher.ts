import type { Logger } from '@strangers/config';
import type { Redis } from '@strangers/redis';
import { newChatId } from './chat-id.js';
import type { MatcherConfig } from './config.js';
import { Committer } from './consumer/committer.js';
import { Consumer } from './consumer/consumer.js';
import { ensureGroup } from './consumer/event-stream.js';
import { Leadership, type Health, type Role } from './leadership/leadership.js';
import { Lease } from './leadership/lease.js';
import { MatchingState } from './matching/matching-state.js';
import { pairMade } from './metrics.js';
import { registerMatcherScripts } from './store/scripts.js';

export type { Role };

export interface MatcherStats {
  joins: number;
  pairs: number;
  batches: number;
  /** Joins dropped because their session had left, moved on, or was gone. */
  ghosts: number;
  /** Times this process took the lease. */
  takeovers: number;
}

/**
 * One matcher process, assembled: the pure matching state (matching/), leadership (the lease
 * and role ticks, leadership/), the consumer (read → ghost check → commit, consumer/) and the
 * Redis state and scripts (store/).
 *
 * High availability: every matcher process runs this; only the holder of the lease is
 * `active` and reads events. The others are `standby` and poll for the lease. The commit only
 * runs while the lease is ours, so a leader paused past its lease (GC, SIGSTOP) cannot write
 * when it wakes: its commit is refused, and it steps down.
 */
export class Matcher {
  private readonly health: Health = { healthy: false };
  private readonly state: MatchingState;
  private readonly committer: Committer;
  private readonly leadership: Leadership;

  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    config: MatcherConfig,
    logger: Logger,
    clock: () => number = Date.now,
  ) {
    registerMatcherScripts(redis);
    const lease = new Lease(redis, config.matcherId, config.lease.ttlMs, clock);
    this.state = new MatchingState(config.matching, () => newChatId(config.chatBuckets), {
      paired: pairMade,
      flagged: (ipHash, reports) => logger.info({ ipHash, reports }, 'client address flagged'),
      unflagged: (ipHash) => logger.info({ ipHash }, 'client address unflagged (shadow ban lifted)'),
    });
    this.committer = new Committer(redis, lease, config.matching.reports.windowMs);
    const consumer = new Consumer(
      redis,
      reader,
      this.state,
      this.committer,
      lease,
      { consumer: config.matcherId, batchSize: config.batchSize, ghostCheck: config.ghostCheck, reportWindowMs: config.matching.reports.windowMs },
      this.health,
      logger,
      clock,
    );
    this.leadership = new Leadership(lease, config.lease.renewMs, this.health, logger, (term) =>
      consumer.run({
        holds: () => this.leadership.holds(term),
        stopping: () => this.leadership.stopping,
        stepDown: (reason) => this.leadership.stepDown(reason),
      }),
    );
  }

  get role(): Role {
    return this.leadership.role;
  }

  get active(): boolean {
    return this.leadership.active;
  }

  /** Connected and working, whether active or standby (`/readyz`). */
  get healthy(): boolean {
    return this.health.healthy;
  }

  get queueLength(): number {
    return this.state.size;
  }

  get stats(): MatcherStats {
    const { joins, ghosts } = this.state.counters;
    const { pairs, batches } = this.committer.counters;
    return { joins, ghosts, pairs, batches, takeovers: this.leadership.takeovers };
  }

  /** Joins the group and starts competing for the lease; resolves once the first attempt is done. */
  async start(): Promise<void> {
    await ensureGroup(this.redis);
    await this.leadership.start();
  }

  async stop(): Promise<void> {
    // The reader's blocking read ends with its connection, so the term's loop can finish.
    await this.leadership.stop(() => this.reader.disconnect());
  }
}
