import { compareStreamIds } from '@strangers/redis';
import type { Redis } from '@strangers/redis';
import type { Lease } from '../leadership/lease.js';
import type { CommitBatch } from '../matching/commit-batch.js';
import { trimPoint } from './event-stream.js';

const PRUNE_INTERVAL_MS = 10_000;

/**
 * Stores batches with the fenced commit (Lease.commit), one at a time, and now and then
 * prunes expired pairing memory and the applied part of the event stream with them.
 */
export class Committer {
  private lastPruneAt = 0;
  private lastAckedId = '0-0';
  /** Pairs stored (resent assignments not counted) and batches committed, for the metrics. */
  readonly counters = { pairs: 0, batches: 0 };

  constructor(
    private readonly redis: Redis,
    private readonly lease: Lease,
    private readonly reportWindowMs: number,
  ) {}

  /** Commits a batch of read events and remembers the last id acknowledged. */
  async commitEvents(batch: CommitBatch, now: number): Promise<void> {
    await this.commit(batch, now);
    this.counters.batches += 1;
    const lastId = batch.acks[batch.acks.length - 1];
    if (lastId && compareStreamIds(lastId, this.lastAckedId) > 0) this.lastAckedId = lastId;
  }

  async commit(batch: CommitBatch, now: number): Promise<void> {
    const prune = now - this.lastPruneAt > PRUNE_INTERVAL_MS;
    // Everything up to the last acknowledged id is applied: the stream need not keep it.
    const trimTo = prune && this.lastAckedId !== '0-0' ? await trimPoint(this.redis, this.lastAckedId) : undefined;
    const cutoffs = prune ? { apartBefore: now, flaggedBefore: now, reportsBefore: now - this.reportWindowMs } : undefined;
    await this.lease.commit(batch.toScript(cutoffs, trimTo));
    if (prune) this.lastPruneAt = now;
    this.counters.pairs += batch.pairCount;
  }
}
