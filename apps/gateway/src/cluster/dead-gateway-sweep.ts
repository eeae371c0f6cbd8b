import type { Logger } from '@strangers/config';
import { keys, parseOwnerToken, StreamDropIdleReply, type Redis } from '@strangers/redis';
import { metrics } from '../metrics.js';
import type { SessionStore } from '../chat/session-store.js';

/** Gateway ids looked at per run: bounded work (each costs one script per stream it may have). */
const IDS_PER_RUN = 20;
/** A run at most this often apart… */
const MAX_INTERVAL_MS = 60_000;
/** …and at least this many per retention, so an id's streams go at most a tenth late. */
const RUNS_PER_RETENTION = 10;

export interface DeadGatewaySweepSettings {
  gatewayId: string;
  chatBuckets: number;
  /** DEAD_GATEWAY_STREAM_RETENTION_MS: how long a gateway id must be unseen, and each of its streams unwritten. */
  retentionMs: number;
  /** The liveness interval: no run more often than that. */
  minIntervalMs: number;
}

/**
 * Deletes the streams of gateway ids that are gone for good: a control stream
 * (`{m}:ctl:<id>`) and a message inbox per chat bucket (`{b<n>}:inbox:<id>`) are left by
 * every gateway id that ever ran (the reaper keeps them: a gateway cut off from Redis for a
 * while looks dead but still has to read them), and ids change with every restart unless
 * fixed, so without this they pile up.
 *
 * An id is swept only when nobody can need its streams:
 * - it was last seen (`gateways:seen`, written on every liveness tick) longer ago than the
 *   retention: a gateway that merely lost Redis, or restarted under the same id, re-scores it;
 * - its liveness key is gone and no boot of it is in `sessions:owners` (its reaping is done);
 * - each stream's newest entry is older than the retention, checked and deleted in one script
 *   per stream (`stream_drop_idle`), so a late write (a handoff, an assignment) keeps it; the
 *   id is then looked at again once that entry is as old.
 * The retention is far longer than any outage the product rides out (config.ts), so a gateway
 * that comes back finds its inbox whole. Every gateway runs this; `gateways:sweep` (SET NX PX
 * one period) lets one of them work per period, and every step is idempotent anyway.
 */
export class DeadGatewaySweep {
  readonly intervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly redis: Redis,
    private readonly store: Pick<SessionStore, 'owners'>,
    private readonly settings: DeadGatewaySweepSettings,
    private readonly logger: Logger,
  ) {
    this.intervalMs = Math.min(MAX_INTERVAL_MS, Math.max(settings.minIntervalMs, Math.floor(settings.retentionMs / RUNS_PER_RETENTION)));
  }

  start(): void {
    this.timer = setInterval(() => void this.run(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** This period's sweep, unless another gateway holds the period. */
  async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      const now = Date.now();
      const held = await this.redis.set(keys.deadGatewaySweep, `${this.settings.gatewayId}|${now}`, 'PX', this.intervalMs, 'NX');
      if (held === 'OK') await this.sweep(now);
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'dead gateway sweep failed');
    } finally {
      this.running = false;
    }
  }

  private async sweep(now: number): Promise<void> {
    const flat = await this.redis.zrangebyscore(keys.gatewaysSeen, '-inf', now - this.settings.retentionMs, 'WITHSCORES', 'LIMIT', 0, IDS_PER_RUN);
    if (flat.length === 0) return;
    const owning = new Set((await this.store.owners()).map((owner) => parseOwnerToken(owner)?.gatewayId));
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const gatewayId = flat[i]!;
      const seenAt = flat[i + 1]!;
      if (gatewayId === this.settings.gatewayId) continue;
      if (owning.has(gatewayId) || (await this.redis.exists(keys.gatewayAlive(gatewayId))) === 1) {
        // In use after all (being reaped, or alive without refreshing its entry): look again
        // one retention later, and let the ids behind it have this run's places meanwhile.
        await this.redis.zadd(keys.gatewaysSeen, 'GT', now, gatewayId);
        continue;
      }
      await this.sweepGateway(gatewayId, seenAt);
    }
  }

  /** Deletes each of a dead id's streams that is idle; forgets the id once none is left. */
  private async sweepGateway(gatewayId: string, seenAt: string): Promise<void> {
    const streams = [keys.gatewayControl(gatewayId)];
    for (let bucket = 0; bucket < this.settings.chatBuckets; bucket++) streams.push(keys.gatewayInbox(bucket, gatewayId));
    const replies = await Promise.all(streams.map((stream) => this.redis.streamDropIdle(stream, this.settings.retentionMs)));
    const deleted = streams.filter((_, index) => replies[index]![0] === StreamDropIdleReply.deleted);
    const newest = Math.max(0, ...replies.filter(([status]) => status === StreamDropIdleReply.kept).map(([, ms]) => ms));
    if (deleted.length > 0) {
      metrics.deadGatewayStreamsDeleted.inc(deleted.length);
      this.logger.info({ gateway: gatewayId, streams: deleted }, 'streams of a dead gateway deleted');
    }
    if (newest > 0) {
      // Written to within the retention: kept, and looked at again once that entry is as old.
      await this.redis.zadd(keys.gatewaysSeen, 'GT', newest, gatewayId);
      this.logger.info({ gateway: gatewayId, kept: streams.length - deleted.length }, 'streams of a dead gateway kept: written to recently');
    } else {
      // Only if its entry is still the one read: a gateway back under this id has re-scored it.
      await this.redis.orphanIndexDrop(keys.gatewaysSeen, gatewayId, seenAt);
    }
  }
}
