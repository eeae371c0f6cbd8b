import type { Logger } from '@strangers/config';
import { decodeMatcherEvent, type JoinEvent, type Redis } from '@strangers/redis';
import type { Health } from '../leadership/leadership.js';
import { FencedError, isFenced, type Lease } from '../leadership/lease.js';
import type { CommitBatch } from '../matching/commit-batch.js';
import type { MatchingState, ReadEvent } from '../matching/matching-state.js';
import { loadDurableState } from '../store/durable-state.js';
import { liveSessions } from '../store/live-sessions.js';
import type { Committer } from './committer.js';
import { claimPending, readEvents, type RawEntry } from './event-stream.js';

const MAX_BLOCK_MS = 1000;
const RETRY_DELAY_MS = 250;
/** How often the leader claims events other consumers read but never acknowledged, and re-checks the queue for ghosts. */
const MAINTENANCE_INTERVAL_MS = 1000;

export interface ConsumerSettings {
  /** Our consumer name in the group (MATCHER_ID). */
  consumer: string;
  batchSize: number;
  ghostCheck: boolean;
  reportWindowMs: number;
}

/** What a term's loop asks of leadership. */
export interface Term {
  /** True while the term is still ours to work in. */
  holds(): boolean;
  stopping(): boolean;
  stepDown(reason: string): void;
}

/** A batch as read and decoded, its ghost check on its way (undefined: the check is off). */
interface ReadBatch {
  events: ReadEvent[];
  live: Promise<boolean[] | undefined>;
}

/** A batch applied in memory, its writes waiting for their commit. */
interface Prepared {
  batch: CommitBatch;
  now: number;
}

/**
 * The leader's consumer: read a batch of gateway events from the group → ghost check → apply
 * it to the matching state → store its effects, the pair assignments and the XACK in one
 * fenced, atomic commit. Reads and commits alternate, so the state never runs ahead of what
 * is stored by more than one batch; if a commit fails, the state is rebuilt from Redis and
 * the unacknowledged events are replayed.
 */
export class Consumer {
  private lastMaintenanceAt = 0;

  constructor(
    private readonly redis: Redis,
    private readonly reader: Redis,
    private readonly state: MatchingState,
    private readonly committer: Committer,
    private readonly lease: Lease,
    private readonly settings: ConsumerSettings,
    private readonly health: Health,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * The loop for one lease term. Idle, each batch is a blocking read, a ghost check and a
   * commit. Under load (a read returned a full batch) it pipelines, so Redis works while this
   * process does: the next batch is read while this one is applied, and its ghost check is
   * sent before this batch's commit, so the next batch can be applied while Redis runs this
   * commit. Commits stay strictly in order, one in flight: a failed commit throws where the
   * next one waits for it, and whatever was applied in memory since is thrown away by the rebuild.
   */
  async run(term: Term): Promise<void> {
    // Our own unacknowledged events first (a restart after a crash), then new ones.
    let cursor = '0';
    let rebuildNeeded = true;
    /** The next batch, read ahead (only ever with cursor '>'), its ghost check sent once it arrived. */
    let ahead: Promise<ReadBatch> | undefined;
    /** The last commit sent and not yet confirmed. */
    let inFlight: Promise<void> | undefined;
    this.lastMaintenanceAt = 0;
    while (term.holds()) {
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
          const wakeAt = Math.min(this.state.nextWakeAt() ?? Infinity, this.lastMaintenanceAt + MAINTENANCE_INTERVAL_MS);
          current = this.checkBatch(await this.read(cursor, cursor === '>' ? Math.max(1, Math.min(MAX_BLOCK_MS, wakeAt - now)) : undefined));
        }
        const count = current.events.length;
        if (cursor === '0' && count === 0) cursor = '>';
        // A full batch: more are waiting. (Not when maintenance is due: it waits for an empty pipeline.)
        if (cursor === '>' && count >= this.settings.batchSize && !maintenanceDue) {
          ahead = this.read('>', undefined).then((entries) => this.checkBatch(entries));
          ahead.catch(() => undefined); // a failure surfaces where it is awaited (or the events are re-read after a rebuild)
        }
        const prepared = this.apply(current.events, await current.live);
        // The next batch's ghost check goes out before this commit (same connection, so Redis runs it first).
        if (ahead) await ahead;
        await inFlight;
        inFlight = prepared ? this.committer.commitEvents(prepared.batch, prepared.now) : undefined;
        this.health.healthy = true;
      } catch (error) {
        // Reads not yet applied are dropped (their events stay pending: re-read after the
        // rebuild, or claimed by the next leader); a commit in flight is let finish first.
        ahead = undefined;
        await inFlight?.catch(() => undefined);
        inFlight = undefined;
        if (!(await this.recover(error, term))) return;
        rebuildNeeded = true;
      }
    }
    await inFlight?.catch(() => undefined);
  }

  /** After a failed step: false when the term is over (stopping, or fenced off), else waits to retry with a rebuild. */
  private async recover(error: unknown, term: Term): Promise<boolean> {
    if (term.stopping()) return false;
    if (isFenced(error)) {
      // Nothing of this batch was stored; its events stay pending for the new leader to claim.
      this.logger.warn({ err: (error as Error).message }, 'commit refused: lease not held');
      term.stepDown((error as Error).message);
      return false;
    }
    this.health.healthy = false;
    this.logger.warn({ err: (error as Error).message }, 'matcher loop failed; rebuilding from Redis');
    await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    return true;
  }

  private read(cursor: string, blockMs: number | undefined): Promise<RawEntry[]> {
    return readEvents(this.reader, this.settings.consumer, this.settings.batchSize, cursor, blockMs);
  }

  /** Loads the queue and pairing memory from Redis, replacing whatever was in memory. */
  private async rebuild(): Promise<void> {
    const now = this.clock();
    const durable = await loadDurableState(this.redis, now, this.settings.reportWindowMs);
    const live = this.settings.ghostCheck ? await liveSessions(this.redis, durable.queue) : undefined;
    const batch = this.state.restore(durable, live, now);
    if (!batch.empty) await this.committer.commit(batch, now);
    this.logger.info({ waiting: this.state.size }, 'queue restored');
  }

  /**
   * Claims every event another consumer read but never acknowledged (a dead or deposed
   * leader's) and applies it; then drops queued sessions that are gone. Our own pending list
   * is empty here: the loop runs this only with nothing read ahead and no commit in flight.
   */
  private async maintain(): Promise<void> {
    let start = '0-0';
    let claimed = 0;
    do {
      const { next, entries } = await claimPending(this.redis, this.settings.consumer, this.settings.batchSize, start);
      start = next;
      claimed += entries.length;
      const read = this.checkBatch(entries);
      const prepared = this.apply(read.events, await read.live);
      if (prepared) await this.committer.commitEvents(prepared.batch, prepared.now);
    } while (start !== '0-0');
    if (claimed > 0) this.logger.info({ claimed }, 'pending events of other consumers claimed');
    if (!this.settings.ghostCheck || this.state.size === 0) return;
    const waiting = this.state.waiting();
    const batch = this.state.dropGhosts(waiting, await liveSessions(this.redis, waiting));
    if (!batch.empty) await this.committer.commit(batch, this.clock());
  }

  /** Decodes a batch and sends its ghost check, one per batch rather than per join (not awaited here). */
  private checkBatch(entries: readonly RawEntry[]): ReadBatch {
    const events: ReadEvent[] = [];
    const joins: JoinEvent[] = [];
    for (const [id, fields] of entries) {
      const event = fields ? decodeMatcherEvent(fields) : undefined;
      // Deleted while pending (fields null) needs no more than its acknowledgement.
      if (fields && !event) this.logger.error({ id }, 'malformed matcher event dropped');
      events.push({ id, event });
      if (event?.t === 'join') joins.push(event);
    }
    const live = this.settings.ghostCheck ? liveSessions(this.redis, joins) : Promise.resolve(undefined);
    live.catch(() => undefined); // awaited by the caller; a dropped batch must not leave an unhandled rejection
    return { events, live };
  }

  /** Applies a decoded batch to the state; returns the writes to commit, if any. */
  private apply(events: readonly ReadEvent[], live: boolean[] | undefined): Prepared | undefined {
    const now = this.clock();
    const batch = this.state.applyEvents(events, live, now);
    return batch.empty ? undefined : { batch, now };
  }
}
