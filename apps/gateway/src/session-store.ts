import { isCluster, keys, orphanShard, ORPHAN_INDEX_SHARDS, type PairedEntry, type Redis } from '@strangers/redis';
import { Session, type SessionRecord } from './session.js';

export interface SessionStoreSettings {
  /** This gateway boot's owner token (`<gateway>|<boot>`), see liveness.ts. */
  owner: string;
  /** Safety net: records of sessions nobody finalized expire after this. */
  recordTtlSeconds: number;
}

export type ClaimResult = 'claimed' | 'unknown' | 'moved';

/** What the reaper does with one due orphan index entry (see `takeDueOrphan`). */
export type ReapResult = 'take' | 'later' | 'stale';

/**
 * The durable copy of `/ws` sessions that makes resume work on any gateway. The owning
 * gateway writes a session's state on every transition (never per message); a gateway a
 * client resumed on claims the record with a compare-and-set on its owner.
 *
 * Cluster-safe: every script and MULTI here touches one slot (the session's `sess:{sid}`);
 * the owner sets, the resume token and the orphan index live on other slots and are written
 * by separate single-key commands, ordered so that a crash between them leaves nothing that
 * the reapers cannot repair (each method says how).
 */
export class SessionStore {
  private ownerListed = false;

  constructor(
    private readonly redis: Redis,
    private readonly settings: SessionStoreSettings,
  ) {}

  get owner(): string {
    return this.settings.owner;
  }

  /**
   * True when commands issued one after another reach Redis in that order whatever their
   * keys (one server, one connection). False on a cluster: keys of different slots are on
   * different nodes, so a write another process must see first has to be awaited.
   */
  get ordered(): boolean {
    return !isCluster(this.redis);
  }

  /**
   * Registers a new session (and its token) as ours. The commands leave in one write (the
   * connection auto-pipelines), so only a Redis node failing mid-way can split them: a
   * record missing from our set is then never orphaned by a reaper, but it still expires
   * (TTL) and its token still resumes it while we live.
   *
   * This runs once per connection, so it is kept lean: every ioredis command allocates a few
   * KiB that live until Redis answers, and during a connection storm that garbage reaches the
   * old generation and leaves the heap fragmented. So the record and its TTL are one script
   * (a MULTI costs ioredis a whole pipeline object), and our boot is listed in
   * `sessions:owners` once, not per session.
   */
  async create(session: Session): Promise<void> {
    const ttl = this.settings.recordTtlSeconds;
    const writes = [
      this.redis.sadd(keys.sessionsOf(this.owner), session.id),
      this.redis.sessionCreate(keys.session(session.id), ttl, ...session.fieldsToWrite(this.owner, false)),
      this.redis.set(keys.resumeToken(session.resumeToken), session.id, 'EX', ttl),
    ];
    if (!this.ownerListed) writes.push(this.listOwner());
    try {
      await Promise.all(writes);
    } catch (error) {
      session.forgetWritten();
      throw error;
    }
  }

  /**
   * Lists this boot in `sessions:owners` (reapers find dead boots there). Once is enough:
   * only a reaper that took us for dead, or our own drain, removes it, and after a lapse of
   * our liveness `ChatService.reclaim` lists us again.
   */
  private async listOwner(): Promise<number> {
    this.ownerListed = true;
    try {
      return await this.redis.sadd(keys.sessionOwners, this.owner);
    } catch (error) {
      this.ownerListed = false;
      throw error;
    }
  }

  /**
   * Writes what a transition changed in a session's record, if anything. After a failed
   * write the next one writes every field, so the record catches up at the next transition.
   */
  async save(session: Session, detached = false): Promise<void> {
    const fields = session.fieldsToWrite(undefined, detached);
    if (fields.length === 0) return; // e.g. `leave` while idle
    try {
      await this.redis.hset(keys.session(session.id), ...fields);
    } catch (error) {
      session.forgetWritten();
      throw error;
    }
  }

  async lookup(token: string): Promise<string | null> {
    return this.redis.get(keys.resumeToken(token));
  }

  async read(sessionId: string): Promise<SessionRecord | undefined> {
    const record = await this.redis.hgetall(keys.session(sessionId));
    return record.token ? record : undefined;
  }

  /** Takes ownership from `expectedOwner` ('' for an orphan). */
  async claim(sessionId: string, token: string, expectedOwner: string): Promise<ClaimResult> {
    const status = await this.redis.sessionClaim(keys.session(sessionId), sessionId, token, expectedOwner, this.owner);
    if (status === 1) {
      // Its orphan index entry (if any) stays: the reaper drops it as stale at its deadline.
      await Promise.all([this.redis.sadd(keys.sessionsOf(this.owner), sessionId), this.redis.sadd(keys.sessionOwners, this.owner)]);
      return 'claimed';
    }
    return status === 0 ? 'unknown' : 'moved';
  }

  /**
   * Gives one of our sessions up for adoption until `deadline` (drain, or a boot found dead).
   * The index entry goes first: a crash before the script leaves an entry for a session
   * that is not an orphan (the reaper drops it as stale; the session is still in its owner's
   * set, so the owner's reaper orphans it again), never an orphan nobody can find.
   */
  async orphan(sessionId: string, owner: string, deadline: number): Promise<boolean> {
    await this.redis.zadd(keys.sessionOrphans(orphanShard(sessionId)), deadline, sessionId);
    const done = (await this.redis.sessionOrphan(keys.session(sessionId), sessionId, owner, deadline)) === 1;
    await this.redis.srem(keys.sessionsOf(owner), sessionId);
    return done;
  }

  /**
   * Stores a pair assignment in the record of a session no live gateway holds: an orphan
   * (`owner` '') or a session of a dead boot (`owner` that boot), if it is still waiting with
   * the assignment's gen. Its resume then lands in the chat; its reaper ends the chat.
   */
  async assign(entry: PairedEntry, owner: string): Promise<boolean> {
    const interests = JSON.stringify(entry.interests);
    return (await this.redis.sessionAssign(keys.session(entry.to), owner, entry.gen, entry.chat, entry.partner, entry.pgw, interests)) === 1;
  }

  /** Up to `limit` orphan index entries per shard whose deadline passed: [sid, score] pairs. */
  async dueOrphans(now: number, limit: number): Promise<{ sessionId: string; shard: number; score: string }[]> {
    const shards = Array.from({ length: ORPHAN_INDEX_SHARDS }, (_, shard) => shard);
    const replies = await Promise.all(
      shards.map((shard) => this.redis.zrangebyscore(keys.sessionOrphans(shard), '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)),
    );
    const due: { sessionId: string; shard: number; score: string }[] = [];
    replies.forEach((flat, shard) => {
      for (let i = 0; i + 1 < flat.length; i += 2) due.push({ sessionId: flat[i]!, shard, score: flat[i + 1]! });
    });
    return due;
  }

  /**
   * Decides a due orphan index entry: 'take' = the orphan is ours to end (we removed its
   * marker; a resume can no longer claim it); 'later' = re-orphaned with a later deadline;
   * 'stale' = not an orphan any more (resumed, ended, or the crash window above). Entries
   * other than 'later' are dropped, unless re-added meanwhile with a new deadline.
   */
  async takeDueOrphan(entry: { sessionId: string; shard: number; score: string }, now: number): Promise<ReapResult> {
    const status = await this.redis.sessionReap(keys.session(entry.sessionId), now);
    if (status === -1) return 'later';
    await this.redis.orphanIndexDrop(keys.sessionOrphans(entry.shard), entry.sessionId, entry.score);
    return status === 1 ? 'take' : 'stale';
  }

  /** A dead boot's sessions are all orphaned: forget the boot (its set first, then the owner). */
  async forgetOwner(owner: string): Promise<void> {
    await this.redis.del(keys.sessionsOf(owner));
    await this.redis.srem(keys.sessionOwners, owner);
  }

  /** No longer ours (handed to another gateway). */
  async release(sessionId: string): Promise<void> {
    await this.redis.srem(keys.sessionsOf(this.owner), sessionId);
  }

  /** The session is over: forget it everywhere (three slots; the record's TTL covers a partial failure). */
  async remove(session: Session, owner = this.owner): Promise<void> {
    await Promise.all([
      this.redis.del(keys.session(session.id)),
      this.redis.del(keys.resumeToken(session.resumeToken)),
      this.redis.srem(keys.sessionsOf(owner), session.id),
    ]);
  }
}
