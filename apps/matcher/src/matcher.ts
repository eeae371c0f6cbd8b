import type { Logger } from '@strangers/config';
import {
  compareStreamIds,
  decodeEntry,
  keys,
  MATCHER_GROUP,
  matcherEventSchema,
  parseStreamsReply,
  type MatcherEvent,
  type Redis,
  type StreamEntry,
} from '@strangers/redis';
import type { MatcherConfig } from './config.js';
import { pairMade } from './metrics.js';
import { PairingQueue, pairKey, type Pair } from './pairing.js';
import { CommitBatch, loadDurableState, newChatId } from './store.js';

const MAX_BLOCK_MS = 1000;
const PRUNE_INTERVAL_MS = 10_000;
const RETRY_DELAY_MS = 250;
/** Longer than any resume grace: a resumed session's re-join finds its assignment. */
const RECENT_PAIR_TTL_MS = 120_000;

export interface MatcherStats {
  joins: number;
  pairs: number;
  batches: number;
}

/**
 * The matcher's consumer loop: read a batch of gateway events from the consumer group,
 * apply them to the in-memory queue, then store the batch's effects, the pair assignments
 * and the XACK in one MULTI. Reads and commits alternate, so the in-memory queue never
 * runs ahead of what is stored by more than one batch; if a commit fails, the queue is
 * rebuilt from Redis and the unacknowledged events are replayed.
 */
export class Matcher {
  private queue: PairingQueue;
  private readonly reportsByAddress = new Map<string, number[]>();
  /**
   * Recent assignments by session: a session that resumed on another gateway re-sends its
   * join (same gen); if it was paired meanwhile, the assignment is sent again to where it is.
   */
  private readonly recentPairs = new Map<string, { gen: number; at: number; pair: Pair; chat: string }>();
  private running = false;
  private loop: Promise<void> | undefined;
  private lastPruneAt = 0;
  private lastAckedId = '0-0';
  readonly stats: MatcherStats = { joins: 0, pairs: 0, batches: 0 };
  healthy = false;

  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly config: MatcherConfig,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {
    this.queue = new PairingQueue({ fallbackMs: config.INTEREST_FALLBACK_MS });
  }

  get queueLength(): number {
    return this.queue.size;
  }

  async start(): Promise<void> {
    await this.ensureGroup();
    await this.rebuild();
    this.running = true;
    this.healthy = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.reader.disconnect();
    await this.loop;
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
    for (const session of state.queue) this.applyJoinOutcome(this.queue.join(session, now), batch);
    for (const pair of this.queue.sweep(now)) this.recordPair(pair, batch);
    if (!batch.empty) await this.commit(batch, now);
    this.logger.info({ waiting: this.queue.size }, 'queue restored');
  }

  private async run(): Promise<void> {
    // Our own unacknowledged events first (a restart after a crash), then new ones.
    let cursor = '0';
    while (this.running) {
      try {
        const now = this.clock();
        const wakeAt = this.queue.nextWakeAt();
        const blockMs = Math.max(1, Math.min(MAX_BLOCK_MS, wakeAt === undefined ? MAX_BLOCK_MS : wakeAt - now));
        const { MATCHER_ID: consumer, BATCH_SIZE: count } = this.config;
        const reply =
          cursor === '>'
            ? await this.reader.xreadgroup('GROUP', MATCHER_GROUP, consumer, 'COUNT', count, 'BLOCK', blockMs, 'STREAMS', keys.matcherEvents, '>')
            : await this.reader.xreadgroup('GROUP', MATCHER_GROUP, consumer, 'COUNT', count, 'STREAMS', keys.matcherEvents, cursor);
        const entries = parseStreamsReply(reply).get(keys.matcherEvents) ?? [];
        if (cursor === '0' && entries.length === 0) cursor = '>';
        await this.processBatch(entries);
        this.healthy = true;
      } catch (error) {
        if (!this.running) return;
        this.healthy = false;
        this.logger.warn({ err: (error as Error).message }, 'matcher loop failed; rebuilding from Redis');
        await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
        // Whatever this process applied in memory may not be stored: start again from Redis.
        try {
          await this.rebuild();
          cursor = '0';
        } catch (rebuildError) {
          this.logger.warn({ err: (rebuildError as Error).message }, 'rebuild failed; will retry');
        }
      }
    }
  }

  private async processBatch(entries: StreamEntry[]): Promise<void> {
    const now = this.clock();
    const batch = new CommitBatch();
    for (const { id, fields } of entries) {
      const event = decodeEntry(matcherEventSchema, fields);
      if (event) this.apply(event, id, now, batch);
      else this.logger.error({ id }, 'malformed matcher event dropped');
      batch.acks.push(id);
    }
    for (const pair of this.queue.sweep(now)) this.recordPair(pair, batch);
    this.pruneRecentPairs(now);
    if (batch.empty) return;
    await this.commit(batch, now);
    this.stats.batches += 1;
    const lastId = batch.acks[batch.acks.length - 1];
    if (lastId && compareStreamIds(lastId, this.lastAckedId) > 0) this.lastAckedId = lastId;
  }

  private apply(event: MatcherEvent, id: string, now: number, batch: CommitBatch): void {
    switch (event.t) {
      case 'join': {
        this.stats.joins += 1;
        if (event.avoid) {
          const until = now + (event.block ? this.config.REPORT_BLOCK_MS : this.config.NEXT_COOLDOWN_MS);
          this.queue.keepApart(event.sid, event.avoid, until);
          batch.keptApart(pairKey(event.sid, event.avoid), until);
        }
        const recent = this.recentPairs.get(event.sid);
        if (recent && recent.gen === event.gen) {
          const { pair, chat } = recent;
          const side = pair.a.sid === event.sid ? 'a' : 'b';
          const moved = { ...pair, [side]: { ...pair[side], gw: event.gw } };
          batch.resend(moved, chat, event.sid);
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
    this.recentPairs.set(pair.a.sid, { gen: pair.a.gen, at, pair, chat });
    this.recentPairs.set(pair.b.sid, { gen: pair.b.gen, at, pair, chat });
  }

  /** Forgets assignments older than the longest a resume can take. */
  private pruneRecentPairs(now: number): void {
    for (const [sid, recent] of this.recentPairs) {
      if (now - recent.at > RECENT_PAIR_TTL_MS) this.recentPairs.delete(sid);
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
    const multi = batch.toMulti(this.redis, now, this.config.REPORT_WINDOW_MS, prune);
    if (prune && this.lastAckedId !== '0-0') {
      // Everything up to the last acknowledged id is applied: the stream need not keep it.
      multi.xtrim(keys.matcherEvents, 'MINID', '~', this.lastAckedId);
    }
    const results = await multi.exec();
    if (!results) throw new Error('commit aborted');
    for (const [error] of results) if (error) throw error;
    if (prune) this.lastPruneAt = now;
    this.stats.pairs += batch.pairCount;
  }
}
