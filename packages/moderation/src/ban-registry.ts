import type { Logger } from '@strangers/config';
import type { Redis } from '@strangers/redis';
import { loadBansInForce, readBanEvents, type BanEvent } from './bans.js';
import type { BanRecord } from './schemas.js';

/** What applies to one address right now. */
export interface AddressStanding {
  /** The ban in force that ends last (a permanent one first), if any. */
  ban?: BanRecord;
  /** The shadow ban in force that ends last, if any. */
  shadowban?: BanRecord;
}

const ends = (record: BanRecord) => record.until ?? Number.POSITIVE_INFINITY;

/**
 * A ban event as a follower reports it, once applied: a lift carries the record it lifted
 * (`ban`, as the registry held it; absent if it held none, or if a reload found it expired),
 * since the stream's `lift` names only the id. A gateway needs its address and kind: a lifted shadow ban is unflagged.
 */
export type AppliedBanEvent = { type: 'add'; ban: BanRecord } | { type: 'lift'; banId: string; ban?: BanRecord };

/**
 * The bans in force, in memory, keyed by address hash: what a gateway checks on every
 * connect and resume without a Redis round trip. Fed by `loadBansInForce` and the ban stream
 * (`BanFollower`); expired entries are ignored on lookup and dropped by `prune`.
 */
export class BanRegistry {
  private readonly byAddress = new Map<string, Map<string, BanRecord>>();
  private readonly addressOf = new Map<string, string>();

  get size(): number {
    return this.addressOf.size;
  }

  /** Every ban held, expired ones included until pruned. */
  *bans(): IterableIterator<BanRecord> {
    for (const entries of this.byAddress.values()) yield* entries.values();
  }

  /** Replaces the contents with a snapshot. */
  reset(bans: readonly BanRecord[]): void {
    this.byAddress.clear();
    this.addressOf.clear();
    for (const ban of bans) this.add(ban);
  }

  add(ban: BanRecord): void {
    this.remove(ban.id);
    let entries = this.byAddress.get(ban.ipHash);
    if (!entries) this.byAddress.set(ban.ipHash, (entries = new Map()));
    entries.set(ban.id, ban);
    this.addressOf.set(ban.id, ban.ipHash);
  }

  remove(banId: string): BanRecord | undefined {
    const address = this.addressOf.get(banId);
    if (address === undefined) return undefined;
    this.addressOf.delete(banId);
    const entries = this.byAddress.get(address)!;
    const removed = entries.get(banId);
    entries.delete(banId);
    if (entries.size === 0) this.byAddress.delete(address);
    return removed;
  }

  /** Applies an event; for a lift, returns the record removed. */
  apply(event: BanEvent): AppliedBanEvent {
    if (event.type === 'add') {
      this.add(event.ban);
      return event;
    }
    const ban = this.remove(event.banId);
    return ban ? { ...event, ban } : event;
  }

  lookup(ipHash: string, now = Date.now()): AddressStanding {
    const standing: AddressStanding = {};
    for (const record of this.byAddress.get(ipHash)?.values() ?? []) {
      if (ends(record) <= now) continue;
      const current = standing[record.kind];
      if (!current || ends(record) > ends(current)) standing[record.kind] = record;
    }
    return standing;
  }

  /** Drops expired entries (memory only: lookups already ignore them). */
  prune(now = Date.now()): void {
    for (const [id, address] of [...this.addressOf]) {
      const record = this.byAddress.get(address)?.get(id);
      if (record && ends(record) <= now) this.remove(id);
    }
  }
}

export interface BanFollowerOptions {
  /** A connection for the blocking read only (it is parked in XREAD BLOCK). */
  reader: Redis;
  /** Any connection, for the start-up snapshot and resyncs. */
  redis: Redis;
  registry: BanRegistry;
  logger: Logger;
  /** Told of every event after it was applied: a gateway ends the live sessions of a newly banned address, and unflags a lifted shadow ban. */
  onEvent?: (event: AppliedBanEvent) => void;
  blockMs?: number;
}

/**
 * Keeps a BanRegistry in step with Redis: loads the bans in force, then follows the ban
 * stream. After a failed read it reloads the snapshot (the stream is bounded: events a long
 * outage missed may have been trimmed), tells `onEvent` what the reload added and removed
 * (so live sessions of an address banned meanwhile are still ended), and carries on.
 */
export class BanFollower {
  private running = false;
  private lastId = '0';
  private loop: Promise<void> | undefined;

  constructor(private readonly options: BanFollowerOptions) {}

  /** Resolves once the snapshot is loaded; the stream is followed in the background. */
  async start(): Promise<void> {
    await this.resync();
    this.running = true;
    this.loop = this.follow();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.options.reader.disconnect();
    // A read queued while the reader was reconnecting may never settle once it is
    // disconnected (ioredis): do not wait on it for long.
    await Promise.race([this.loop, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }

  private async resync(reportChanges = false): Promise<void> {
    const { registry, onEvent } = this.options;
    const snapshot = await loadBansInForce(this.options.redis);
    const before = new Map([...registry.bans()].map((ban) => [ban.id, ban]));
    registry.reset(snapshot.bans);
    this.lastId = snapshot.lastEventId;
    if (!reportChanges || !onEvent) return;
    for (const ban of snapshot.bans) if (!before.delete(ban.id)) onEvent({ type: 'add', ban });
    // Gone from the bans in force: lifted, or expired meanwhile; only a lifted one carries its record.
    const now = Date.now();
    for (const [banId, ban] of before) onEvent(ends(ban) > now ? { type: 'lift', banId, ban } : { type: 'lift', banId });
  }

  private async follow(): Promise<void> {
    const { reader, registry, logger, onEvent, blockMs = 1000 } = this.options;
    let failed = false;
    while (this.running) {
      try {
        if (failed) await this.resync(true);
        failed = false;
        const { events, lastId } = await readBanEvents(reader, this.lastId, { blockMs });
        this.lastId = lastId;
        for (const event of events) {
          const applied = registry.apply(event);
          onEvent?.(applied);
        }
      } catch (error) {
        if (!this.running) return;
        if (!failed) logger.warn({ err: (error as Error).message }, 'ban stream read failed; will reload the bans');
        failed = true;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
}
