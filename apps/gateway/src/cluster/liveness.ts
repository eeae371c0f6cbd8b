import { randomBytes } from 'node:crypto';
import type { Logger } from '@strangers/config';
import { isCluster, keys, ownerToken, parseOwnerToken, redisConnectionName, type OwnerToken, type Redis } from '@strangers/redis';

export interface LivenessSettings {
  ttlMs: number;
  intervalMs: number;
}

/**
 * This gateway's heartbeat in Redis: `gateway:alive:<id>` holds the boot id with a short
 * TTL, refreshed every interval. Once a kill -9 stops the refreshes the key lapses and any
 * gateway's sweeper treats our boot as dead. The boot id (not just the gateway id) is what
 * counts, so a gateway restarted under the same id does not keep its previous life's names.
 */
/** A new boot id: one per gateway process, in its owner token and its Redis connection names. */
export function newBootId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The name of a gateway boot's command connection (CLIENT LIST). Its presence tells a live
 * process from a killed one: the kernel closes a killed process's sockets at once, and
 * Redis drops them, while its liveness key still has up to a TTL to run.
 */
export function commandConnectionName(gatewayId: string, bootId: string): string {
  return redisConnectionName(`gateway:${gatewayId}:${bootId}:commands`);
}

export class Liveness {
  private timer: NodeJS.Timeout | undefined;
  private established = false;

  constructor(
    private readonly redis: Redis,
    readonly bootId: string,
    private readonly gatewayId: string,
    private readonly settings: LivenessSettings,
    private readonly logger: Logger,
  ) {}

  private readonly listeners: ((lapsed: boolean) => void)[] = [];

  /** Called after every refresh attempt; `lapsed` when our key had expired meanwhile (Redis was out of reach). */
  onTick(listener: (lapsed: boolean) => void): void {
    this.listeners.push(listener);
  }

  /** The owner token recorded next to everything this boot holds. */
  get owner(): OwnerToken {
    return ownerToken(this.gatewayId, this.bootId);
  }

  async start(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.tick(), this.settings.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(keys.gatewayAlive(this.gatewayId)).catch(() => {});
  }

  private async tick(): Promise<void> {
    let lapsed = false;
    try {
      lapsed = await this.refresh();
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'liveness not refreshed');
    }
    for (const listener of this.listeners) listener(lapsed);
  }

  /**
   * Returns true when the key we set had lapsed since the last refresh. Also records our id
   * as seen now (`gateways:seen`): the dead-gateway stream sweep keeps an id's streams while
   * it was seen within the retention.
   */
  private async refresh(): Promise<boolean> {
    // Best effort, apart from the SET: a lost one is made good by the next tick, and must not
    // hide a lapse the SET reports.
    const seen = this.redis.zadd(keys.gatewaysSeen, Date.now(), this.gatewayId).catch(() => 0);
    const previous = await this.redis.set(keys.gatewayAlive(this.gatewayId), this.bootId, 'PX', this.settings.ttlMs, 'GET');
    await seen;
    const lapsed = this.established && previous !== this.bootId;
    this.established = true;
    if (lapsed) this.logger.warn('liveness key had lapsed; re-claiming what this boot holds');
    return lapsed;
  }
}

/** True while the boot named in `owner` still refreshes its liveness key. */
export async function isOwnerAlive(redis: Redis, owner: OwnerToken): Promise<boolean> {
  const parsed = parseOwnerToken(owner);
  if (!parsed) return false;
  return (await redis.get(keys.gatewayAlive(parsed.gatewayId))) === parsed.bootId;
}

/**
 * True when no Redis server (every master, on a cluster) has a connection of the boot named
 * in `owner`: the process is gone (kill -9, a crash) or cut off from Redis, though its
 * liveness key may not have lapsed yet. A slow-but-alive boot keeps its connections open,
 * so it is never taken for gone; a host that vanished without closing its sockets is (until
 * Redis notices) still listed, and waits out its key as before.
 */
export async function isOwnerDisconnected(redis: Redis, owner: OwnerToken): Promise<boolean> {
  const parsed = parseOwnerToken(owner);
  if (!parsed) return true;
  const name = `name=${commandConnectionName(parsed.gatewayId, parsed.bootId)} `;
  const servers = isCluster(redis) ? redis.nodes('master') : [redis];
  const lists = await Promise.all(servers.map((server) => server.call('CLIENT', 'LIST', 'TYPE', 'normal') as Promise<string>));
  return lists.every((list) => !list.includes(name));
}
