import type { Logger } from '@strangers/config';
import { compareStreamIds, decodeMatcherEvent, keys, MATCHER_GROUP, type JoinEvent, type MatcherEvent, type Redis } from '@strangers/redis';
import { CommitBatch } from './commit.js';
import type { MatcherConfig } from './config.js';
import { FencedError, isFenced, Lease } from './lease.js';
import { pairMade } from './metrics.js';
import { PairingQueue, pairKey, type Pair } from './pairing.js';
import { liveSessions, loadDurableState, newChatId } from './store.js';

const MAX_BLOCK_MS = 1000;
const PRUNE_INTERVAL_MS = 10_000;
const RETRY_DELAY_MS = 250;
/** How often the leader claims events other consumers read but never acknowledged, and re-checks the queue for ghosts. */
const MAINTENANCE_INTERVAL_MS = 1000;

export type Role = 'standby' | 'active';

/** A stream entry as XREADGROUP and XAUTOCLAIM return it: fields are null for an entry deleted while pending. */
type RawEntry = [id: string, fields: string[] | null];

/** A batch as read and decoded, its ghost check on its way (undefined: the check is off). */
interface ReadBatch {
  entries: readonly RawEntry[];
  events: (MatcherEvent | undefined)[];
  live: Promise<boolean[] | undefined>;
}

/** An assignment kept for a while, under both of its sessions. */
interface RecentPair {
  at: number;
  pair: Pair;
  chat: string;
}

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
 * The matcher's consumer loop: read a batch of gateway events from the consumer group,
 * apply them to the in-memory queue, then store the batch's effects, the pair assignments
 * and the XACK in one fenced, atomic commit. Reads and commits alternate, so the in-memory
 * queue never runs ahead of what is stored by more than one batch; if a commit fails, the
 * queue is rebuilt from Redis and the unacknowledged events are replayed.
 *
 * High availability: every matcher process runs this class; only the holder of the lease
 * (lease.ts) is `active` and reads events. The others are `standby` and poll for the lease.
 * The commit only runs while the lease is ours, so a leader paused past its lease (GC, SIGSTOP)
 * cannot write when it wakes: its commit is refused, and it steps down.
 */
export class Matcher {
  private queue: PairingQueue;
  private readonly reportsByAddress = new Map<string, number[]>();
  /**
   * Recent assignments by session: a session that resumed on another gateway re-sends its
   * join (same gen); if it was paired meanwhile, the assignment is sent again to where it is.
   */
  private readonly recentPairs = new Map<string, RecentPair>();
  private running = false;
  private loop: Promise<void> | undefined;
  private lastPruneAt = 0;
  private lastAckedId = '0-0';
  private lastMaintenanceAt = 0;
  private readonly lease: Lease;
  private leaseTimer: NodeJS.Timeout | undefined;
  private ticking = false;
  role: Role = 'standby';
  readonly stats: MatcherStats = { joins: 0, pairs: 0, batches: 0, ghosts: 0, takeovers: 0 };
  healthy = false;

  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly config: MatcherConfig,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.queue = new PairingQueue({ fallbackMs: config.INTEREST_FALLBACK_MS });
    this.lease = new Lease(redis, config.MATCHER_ID, config.LEASE_TTL_MS, clock);
  }

  get active(): boolean {
    return this.role === 'active';
  }

  get queueLength(): number {
    return this.queue.size;
  }

  /** Joins the group and starts competing for the lease; resolves once the first attempt is done. */
  async start(): Promise<void> {
    await this.ensureGroup();
    this.running = true;
    this.logger.info({ role: 'standby' }, 'matcher standby');
    await this.tick();
    this.leaseTimer = setInterval(() => void this.tick(), this.config.LEASE_RENEW_MS);
  }

  async stop(): Promise<void> {
    this.running = false;
    clearInterval(this.leaseTimer);
    this.reader.disconnect();
    await this.loop;
    // A clean stop hands over at once instead of after the lease TTL.
    if (this.active) await this.lease.release().catch(() => undefined);
    this.role = 'standby';
  }

  /** Every LEASE_RENEW_MS: the leader renews its lease, a standby tries to take it. */
  private async tick(): Promise<void> {
    if (this.ticking || !this.running) return;
    this.ticking = true;
    try {
      if (this.active) {
        let renewed: boolean;
        try {
          renewed = await this.lease.renew();
        } catch (error) {
          // Redis unreachable: keep going while nobody else can have taken the lease.
          this.logger.warn({ err: (error as Error).message }, 'lease renewal failed');
          renewed = this.lease.fresh();
        }
        if (!renewed) this.stepDown('lease lost');
      } else {
        const acquired = await this.lease.tryAcquire();
        this.healthy = true;
        if (acquired) await this.takeOver();
      }
    } catch (error) {
      if (!this.active) this.healthy = false;
      this.logger.warn({ err: (error as Error).message }, 'lease attempt failed');
    } finally {
      this.ticking = false;
    }
  }

  private async takeOver(): Promise<void> {
    await this.loop; // a previous term's loop finishes before this one starts
    if (!this.running) return;
    this.role = 'active';
    this.stats.takeovers += 1;
    this.logger.info({ role: 'active', token: this.lease.token }, 'matcher active');
    this.loop = this.run(this.lease.value);
  }

  private stepDown(reason: string): void {
    if (!this.active) return;
    this.role = 'standby';
    this.lease.forget();
    this.logger.warn({ role: 'standby', reason }, 'matcher standby');
  }

  private async ensureGroup(): Promise<void> {
    try {
      // From the start of the stream: joins published before the first matcher ever ran still count.
      await this.redis.xgroup('CREATE', keys.matcherEvents, MATCHER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  /** Loads the queue and pairing memory from Redis, replacing whatever was in memory. */
  private async rebuild(): Promise<void> {
    const now = this.clock();
    const state = await loadDurableState(this.redis, now, this.config.REPORT_WINDOW_MS);
    this.queue = new PairingQueue({ fallbackMs: this.config.INTEREST_FALLBACK_MS });
    this.reportsByAddress.clear();
    for (const { pair, until } of state.apart) {
      const [x = '', y = ''] = pair.split('|');
      this.queue.keepApart(x, y, until);
    }
    for (const { ipHash, until } of state.flagged) this.queue.flag(ipHash, until);
    for (const { ipHash, at } of state.reports) this.recordReport(ipHash, at);
    const batch = new CommitBatch();
    const live = this.config.GHOST_CHECK ? await liveSessions(this.redis, state.queue) : state.queue.map(() => true);
    state.queue.forEach((session, i) => {
      if (live[i]) this.applyJoinOutcome(this.queue.join(session, now), batch);
      else batch.dequeued(session.sid);
    });
    for (const pair of this.queue.sweep(now)) this.recordPair(pair, batch);
    if (!batch.empty) await this.commit(batch, now);
    this.logger.info({ waiting: this.queue.size }, 'queue restored');
  }

  /**
   * The leader's loop for one lease term (`term` is the lease value it runs under).
   *
   * Idle, each batch is a blocking read, a ghost check and a commit. Under load (a read
   * returned a full batch) it pipelines, so Redis works while this process does: the next
   * batch is read while this one is applied, and its ghost check is sent before this
   * batch's commit, so the next batch can be applied while Redis runs this commit. Commits
   * stay strictly in order, one in flight: a failed commit throws where the next one waits
   * for it, and whatever was applied in memory since is thrown away by the rebuild.
   */
  private async run(term: string | undefined): Promise<void> {
    // Our own unacknowledged events first (a restart after a crash), then new ones.
    let cursor = '0';
    let rebuildNeeded = true;
    /** The next batch, read ahead (only ever with cursor '>'), its ghost check sent once it arrived. */
    let ahead: Promise<ReadBatch> | undefined;
    /** The last commit sent and not yet confirmed. */
    let inFlight: Promise<void> | undefined;
    this.lastMaintenanceAt = 0;
    while (this.running && this.active && this.lease.value === term) {
      try {
        if (rebuildNeeded) {
          // Whatever a previous term or a failed commit left in memory may not be stored.
          await this.rebuild();
          rebuildNeeded = false;
          cursor = '0';
        }
        let now = this.clock();
        const maintenanceDue = now - this.lastMaintenanceAt >= MAINTENANCE_INTERVAL_MS;
        if (maintenanceDue && !ahead) {
          // XAUTOCLAIM at min-idle 0 would also take our own unconfirmed events: nothing may be in flight.
          await inFlight;
          inFlight = undefined;
          await this.maintain();
          this.lastMaintenanceAt = now;
          now = this.clock();
        }
        if (!this.lease.fresh()) throw new FencedError('lease not renewed in time');
        let current: ReadBatch;
        if (ahead) {
          current = await ahead;
          ahead = undefined;
        } else {
          const wakeAt = Math.min(this.queue.nextWakeAt() ?? Infinity, this.lastMaintenanceAt + MAINTENANCE_INTERVAL_MS);
          current = this.checkBatch(await this.readEvents(cursor, cursor === '>' ? Math.max(1, Math.min(MAX_BLOCK_MS, wakeAt - now)) : undefined));
        }
        if (cursor === '0' && current.entries.length === 0) cursor = '>';
        // A full batch: more are waiting. (Not when maintenance is due: it waits for an empty pipeline.)
        if (cursor === '>' && current.entries.length >= this.config.BATCH_SIZE && !maintenanceDue) {
          ahead = this.readEvents('>', undefined).then((entries) => this.checkBatch(entries));
          ahead.catch(() => undefined); // a failure surfaces where it is awaited (or the events are re-read after a rebuild)
        }
        const prepared = this.applyBatch(current, await current.live);
        // The next batch's ghost check goes out before this commit (same connection, so Redis runs it first).
        if (ahead) await ahead;
        await inFlight;
        inFlight = prepared ? this.commitBatch(prepared.batch, prepared.now) : undefined;
        this.healthy = true;
      } catch (error) {
        // Reads not yet applied are dropped (their events stay pending: re-read after the
        // rebuild, or claimed by the next leader); a commit in flight is let finish first.
        ahead = undefined;
        await inFlight?.catch(() => undefined);
        inFlight = undefined;
        if (!this.running) return;
        if (isFenced(error)) {
          // Nothing of this batch was stored; its events stay pending for the new leader to claim.
          this.logger.warn({ err: (error as Error).message }, 'commit refused: lease not held');
          this.stepDown((error as Error).message);
          return;
        }
        this.healthy = false;
        rebuildNeeded = true;
        this.logger.warn({ err: (error as Error).message }, 'matcher loop failed; rebuilding from Redis');
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
      }
    }
    await inFlight?.catch(() => undefined);
  }

  /** Reads up to a batch of events: our own pending ones (cursor '0'), or new ones ('>'), waiting up to `blockMs` for them. */
  private async readEvents(cursor: string, blockMs: number | undefined): Promise<RawEntry[]> {
    const { MATCHER_ID: consumer, BATCH_SIZE: count } = this.config;
    const reply =
      blockMs === undefined
        ? await this.reader.xreadgroup('GROUP', MATCHER_GROUP, consumer, 'COUNT', count, 'STREAMS', keys.matcherEvents, cursor)
        : await this.reader.xreadgroup('GROUP', MATCHER_GROUP, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', keys.matcherEvents, cursor);
    // One stream asked for: the reply is null or [[stream, entries]].
    return (reply as [string, RawEntry[]][] | null)?.[0]?.[1] ?? [];
  }

  /**
   * Claims every event another consumer read but never acknowledged (a dead or deposed
   * leader's) and applies it; then drops queued sessions that are gone. Only the leader
   * reads, so min-idle 0 takes nothing anyone is still working on; our own pending list is
   * empty here: the loop runs this only with nothing read ahead and no commit in flight.
   */
  private async maintain(): Promise<void> {
    let start = '0-0';
    let claimed = 0;
    do {
      const reply = (await this.redis.xautoclaim(keys.matcherEvents, MATCHER_GROUP, this.config.MATCHER_ID, 0, start, 'COUNT', this.config.BATCH_SIZE)) as [string, (RawEntry | null)[]];
      start = reply[0];
      const entries = reply[1].filter((entry): entry is RawEntry => Array.isArray(entry));
      entries.sort((x, y) => compareStreamIds(x[0], y[0]));
      claimed += entries.length;
      await this.processBatch(entries);
    } while (start !== '0-0');
    if (claimed > 0) this.logger.info({ claimed }, 'pending events of other consumers claimed');
    if (!this.config.GHOST_CHECK || this.queue.size === 0) return;
    const waiting = this.queue.entries();
    const live = await liveSessions(this.redis, waiting);
    const batch = new CommitBatch();
    waiting.forEach((session, i) => {
      if (live[i] || !this.queue.cancel(session.sid, session.gen)) return;
      this.stats.ghosts += 1;
      batch.dequeued(session.sid);
    });
    if (!batch.empty) await this.commit(batch, this.clock());
  }

  /** Applies a batch of events and commits its effects. */
  private async processBatch(entries: readonly RawEntry[]): Promise<void> {
    const read = this.checkBatch(entries);
    const prepared = this.applyBatch(read, await read.live);
    if (prepared) await this.commitBatch(prepared.batch, prepared.now);
  }

  /** Decodes a batch and sends its ghost check, one per batch rather than per join (not awaited here). */
  private checkBatch(entries: readonly RawEntry[]): ReadBatch {
    const events: (MatcherEvent | undefined)[] = [];
    const joins: JoinEvent[] = [];
    for (const [, fields] of entries) {
      const event = fields ? decodeMatcherEvent(fields) : undefined;
      events.push(event);
      if (event?.t === 'join') joins.push(event);
    }
    const live = this.config.GHOST_CHECK ? liveSessions(this.redis, joins) : Promise.resolve(undefined);
    live.catch(() => undefined); // awaited by applyBatch's caller; a dropped batch must not leave an unhandled rejection
    return { entries, events, live };
  }

  /** Applies a decoded batch in memory (`live`: its joins' ghost check); returns the writes to commit, if any. */
  private applyBatch(read: ReadBatch, live: boolean[] | undefined): { batch: CommitBatch; now: number } | undefined {
    const { entries, events } = read;
    const now = this.clock();
    const batch = new CommitBatch();
    let join = 0;
    for (let i = 0; i < entries.length; i++) {
      const [id, fields] = entries[i]!;
      const event = events[i];
      if (event) this.apply(event, id, now, batch, event.t !== 'join' || live === undefined || live[join++]!);
      // Deleted while pending (fields null) needs no more than its acknowledgement.
      else if (fields) this.logger.error({ id }, 'malformed matcher event dropped');
      batch.acks.push(id);
    }
    for (const pair of this.queue.sweep(now)) this.recordPair(pair, batch);
    this.pruneRecentPairs(now);
    return batch.empty ? undefined : { batch, now };
  }

  private async commitBatch(batch: CommitBatch, now: number): Promise<void> {
    await this.commit(batch, now);
    this.stats.batches += 1;
    const lastId = batch.acks[batch.acks.length - 1];
    if (lastId && compareStreamIds(lastId, this.lastAckedId) > 0) this.lastAckedId = lastId;
  }

  /** `live` is false for a join whose session is no longer waiting with that gen (a ghost). */
  private apply(event: MatcherEvent, id: string, now: number, batch: CommitBatch, live: boolean): void {
    switch (event.t) {
      case 'join': {
        this.stats.joins += 1;
        if (event.avoid) {
          const until = now + (event.block ? this.config.REPORT_BLOCK_MS : this.config.NEXT_COOLDOWN_MS);
          this.queue.keepApart(event.sid, event.avoid, until);
          batch.keptApart(pairKey(event.sid, event.avoid), until);
        }
        const recent = this.recentPairs.get(event.sid);
        if (recent && (recent.pair.a.sid === event.sid ? recent.pair.a : recent.pair.b).gen === event.gen) {
          batch.resend(recent.pair, recent.chat, event.sid, event.gw);
          return;
        }
        if (!live) {
          this.stats.ghosts += 1;
          return;
        }
        const outcome = this.queue.join(
          {
            sid: event.sid,
            gw: event.gw,
            gen: event.gen,
            interests: event.interests,
            ipHash: event.ipHash,
            enqueuedAt: now,
            flagged: this.queue.isFlagged(event.ipHash, now),
          },
          now,
        );
        this.applyJoinOutcome(outcome, batch);
        return;
      }
      case 'cancel':
        if (this.queue.cancel(event.sid, event.gen)) batch.dequeued(event.sid);
        return;
      case 'reported': {
        if (!event.ipHash) return;
        batch.reported(event.ipHash, id, now);
        const count = this.recordReport(event.ipHash, now);
        if (count >= this.config.REPORT_THRESHOLD) {
          const until = now + this.config.REPORT_FLAG_MS;
          this.queue.flag(event.ipHash, until);
          batch.flaggedAddress(event.ipHash, until);
          this.logger.info({ ipHash: event.ipHash, reports: count }, 'client address flagged');
        }
        return;
      }
    }
  }

  private applyJoinOutcome(outcome: ReturnType<PairingQueue['join']>, batch: CommitBatch): void {
    if (outcome.kind === 'queued' || outcome.kind === 'moved') batch.enqueued(outcome.entry);
    else if (outcome.kind === 'paired') this.recordPair(outcome.pair, batch);
  }

  private recordPair(pair: Pair, batch: CommitBatch): void {
    const chat = newChatId(this.config.CHAT_BUCKETS);
    batch.paired(pair, chat);
    const at = this.clock();
    pairMade(pair, at);
    const recent: RecentPair = { at, pair, chat };
    // Deleted first, so the map's order stays time order (pruneRecentPairs relies on it).
    this.recentPairs.delete(pair.a.sid);
    this.recentPairs.delete(pair.b.sid);
    this.recentPairs.set(pair.a.sid, recent);
    this.recentPairs.set(pair.b.sid, recent);
  }

  /** Forgets assignments older than the longest a resume can take. */
  private pruneRecentPairs(now: number): void {
    for (const [sid, recent] of this.recentPairs) {
      if (now - recent.at > this.config.RECENT_PAIR_TTL_MS) this.recentPairs.delete(sid);
      else break; // insertion order is time order
    }
  }

  /** Counts a report within the window; returns how many the address has. */
  private recordReport(ipHash: string, at: number): number {
    const since = this.clock() - this.config.REPORT_WINDOW_MS;
    const times = (this.reportsByAddress.get(ipHash) ?? []).filter((time) => time > since);
    times.push(at);
    this.reportsByAddress.set(ipHash, times);
    return times.length;
  }

  private async commit(batch: CommitBatch, now: number): Promise<void> {
    const prune = now - this.lastPruneAt > PRUNE_INTERVAL_MS;
    let trimTo: string | undefined;
    if (prune && this.lastAckedId !== '0-0') {
      // Everything up to the last acknowledged id is applied: the stream need not keep it;
      // but not past an entry still pending with another consumer (a deposed leader read it
      // and maintain() has yet to claim it). Entries delivered later are all newer than ours.
      const [pending, oldest] = (await this.redis.xpending(keys.matcherEvents, MATCHER_GROUP)) as [number, string | null];
      trimTo = pending > 0 && oldest && compareStreamIds(oldest, this.lastAckedId) < 0 ? oldest : this.lastAckedId;
    }
    const cutoffs = prune ? { apartBefore: now, flaggedBefore: now, reportsBefore: now - this.config.REPORT_WINDOW_MS } : undefined;
    await this.lease.commit(batch.toScript(cutoffs, trimTo));
    if (prune) this.lastPruneAt = now;
    this.stats.pairs += batch.pairCount;
  }
}
