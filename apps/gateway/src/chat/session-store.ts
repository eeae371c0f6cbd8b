import {
  decodeSessionRecord,
  encodeSessionField,
  isCluster,
  keys,
  orphanShard,
  ORPHAN_INDEX_SHARDS,
  SessionAssignReply,
  SessionClaimReply,
  SessionOrphanReply,
  SessionReapReply,
  SessionField,
  type OwnerToken,
  type PairedEntry,
  type Redis,
  type SessionRecord,
} from '@strangers/redis';
import type { Session } from './session.js';

export interface SessionStoreSettings {
  /** This gateway boot's owner token (`<gateway>|<boot>`), see cluster/liveness.ts. */
  owner: OwnerToken;
  /** Safety net: records of sessions nobody finalized expire after this. */
  recordTtlSeconds: number;
}

export type ClaimResult = 'claimed' | 'unknown' | 'moved';

/** What the reaper does with one due orphan index entry (see `takeDueOrphan`). */
export type ReapResult = 'take' | 'later' | 'stale';

/** One entry of the orphan index whose deadline passed. */
export interface DueOrphan {
  sessionId: string;
  shard: number;
  score: string;
}

/**
 * The durable copy of `/ws` sessions that makes resume work on any gateway: every Redis
 * command on a session record and on the session indexes (owner sets, resume token, orphan
 * index) is here; chat-store.ts has the rest of the chat path's. The owning
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

  get owner(): OwnerToken {
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
   * our liveness `relist` lists us again.
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

  /**
   * Stores the tokens a resume hands out (`Session.tokensAfterResume`): the new one resolves
   * to the session before the record names it; the one that died stops resolving.
   */
  async rotateTokens(session: Session, tokens: { resumeToken: string; previousToken: string; dead: string | undefined }): Promise<void> {
    const ttl = this.settings.recordTtlSeconds;
    const writes: Promise<unknown>[] = [
      this.redis.set(keys.resumeToken(tokens.resumeToken), session.id, 'EX', ttl),
      this.redis.hset(keys.session(session.id), SessionField.token, tokens.resumeToken, SessionField.prevToken, tokens.previousToken),
      // The token it keeps: its key's TTL runs from its own resume, not from its creation.
      this.redis.expire(keys.resumeToken(tokens.previousToken), ttl),
    ];
    if (tokens.dead !== undefined) writes.push(this.redis.del(keys.resumeToken(tokens.dead)));
    await Promise.all(writes);
  }

  /** The safety-net TTL of session keys (seconds); live ones are renewed well before it (`refreshTtl`). */
  get ttlSeconds(): number {
    return this.settings.recordTtlSeconds;
  }

  /**
   * Renews the TTL of a live session's keys (its record and resume tokens): the TTL is a
   * safety net for sessions nobody finalized, never a limit on one that is alive.
   */
  async refreshTtl(session: Session): Promise<void> {
    const ttl = this.settings.recordTtlSeconds;
    const writes = [this.redis.expire(keys.session(session.id), ttl), this.redis.expire(keys.resumeToken(session.resumeToken), ttl)];
    if (session.previousToken !== undefined) writes.push(this.redis.expire(keys.resumeToken(session.previousToken), ttl));
    await Promise.all(writes);
  }

  async lookup(token: string): Promise<string | null> {
    return this.redis.get(keys.resumeToken(token));
  }

  /** The record, decoded; undefined when there is none (or it is malformed). */
  async read(sessionId: string): Promise<SessionRecord | undefined> {
    return decodeSessionRecord(await this.redis.hgetall(keys.session(sessionId)));
  }

  /** Takes ownership from `expectedOwner` ('' for an orphan). */
  async claim(sessionId: string, token: string, expectedOwner: string): Promise<ClaimResult> {
    const status = await this.redis.sessionClaim(keys.session(sessionId), sessionId, token, expectedOwner, this.owner);
    if (status === SessionClaimReply.claimed) {
      // Its orphan index entry (if any) stays: the reaper drops it as stale at its deadline.
      await Promise.all([this.redis.sadd(keys.sessionsOf(this.owner), sessionId), this.redis.sadd(keys.sessionOwners, this.owner)]);
      return 'claimed';
    }
    return status === SessionClaimReply.unknown ? 'unknown' : 'moved';
  }

  /**
   * Gives one of our sessions up for adoption until `deadline` (drain, or a boot found dead).
   * The index entry goes first: a crash before the script leaves an entry for a session
   * that is not an orphan (the reaper drops it as stale; the session is still in its owner's
   * set, so the owner's reaper orphans it again), never an orphan nobody can find.
   */
  async orphan(sessionId: string, owner: OwnerToken, deadline: number): Promise<boolean> {
    await this.redis.zadd(keys.sessionOrphans(orphanShard(sessionId)), deadline, sessionId);
    const done = (await this.redis.sessionOrphan(keys.session(sessionId), sessionId, owner, deadline)) === SessionOrphanReply.orphaned;
    await this.redis.srem(keys.sessionsOf(owner), sessionId);
    return done;
  }

  /**
   * Stores a pair assignment in the record of a session no live gateway holds: an orphan
   * (`owner` '') or a session of a dead boot (`owner` that boot), if it is still waiting with
   * the assignment's gen. Its resume then lands in the chat; its reaper ends the chat.
   */
  async assign(entry: PairedEntry, owner: OwnerToken): Promise<boolean> {
    const interests = encodeSessionField.interests(entry.interests);
    const status = await this.redis.sessionAssign(keys.session(entry.to), owner, entry.gen, entry.chat, entry.partner, entry.pgw, interests);
    return status === SessionAssignReply.stored;
  }

  /** Up to `limit` orphan index entries per shard whose deadline passed: [sid, score] pairs. */
  async dueOrphans(now: number, limit: number): Promise<DueOrphan[]> {
    const shards = Array.from({ length: ORPHAN_INDEX_SHARDS }, (_, shard) => shard);
    const replies = await Promise.all(
      shards.map((shard) => this.redis.zrangebyscore(keys.sessionOrphans(shard), '-inf', now, 'WITHSCORES', 'LIMIT', 0, limit)),
    );
    const due: DueOrphan[] = [];
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
  async takeDueOrphan(entry: DueOrphan, now: number): Promise<ReapResult> {
    const status = await this.redis.sessionReap(keys.session(entry.sessionId), now);
    if (status === SessionReapReply.later) return 'later';
    await this.redis.orphanIndexDrop(keys.sessionOrphans(entry.shard), entry.sessionId, entry.score);
    return status === SessionReapReply.take ? 'take' : 'stale';
  }

  /** Every gateway boot listed as holding sessions (the reapers check each for liveness). */
  async owners(): Promise<OwnerToken[]> {
    return this.redis.smembers(keys.sessionOwners);
  }

  /** The sessions a boot holds (read when it died). */
  async sessionsOf(owner: OwnerToken): Promise<string[]> {
    return this.redis.smembers(keys.sessionsOf(owner));
  }

  /** A dead boot's sessions are all orphaned: forget the boot (its set first, then the owner). */
  async forgetOwner(owner: OwnerToken): Promise<void> {
    await this.redis.del(keys.sessionsOf(owner));
    await this.redis.srem(keys.sessionOwners, owner);
  }

  /**
   * The handoff's owner half: one of our sessions goes to `newOwner` (a client resumed on its
   * gateway). The whole record is written (with the new owner, detached), so the new gateway
   * builds the session from it whatever was written before; then it leaves our set.
   */
  async handOver(session: Session, newOwner: OwnerToken): Promise<void> {
    await this.redis.hset(keys.session(session.id), ...session.recordFields(newOwner, true));
    await this.redis.srem(keys.sessionsOf(this.owner), session.id);
  }

  /**
   * After our liveness lapsed (a reaper may have taken us for dead): lists a session we still
   * hold in our set again, and (`relistOwner`) our boot among the owners.
   */
  async relist(sessionId: string): Promise<void> {
    await this.redis.sadd(keys.sessionsOf(this.owner), sessionId);
  }

  async relistOwner(): Promise<void> {
    await this.redis.sadd(keys.sessionOwners, this.owner);
  }

  /** Drain: every session of ours is an orphan now, so our boot holds none. */
  async unlistOwner(): Promise<void> {
    await this.redis.srem(keys.sessionOwners, this.owner);
  }

  /** The session is over: forget it everywhere (several slots; the keys' TTL covers a partial failure). */
  async remove(session: Session, owner: OwnerToken = this.owner): Promise<void> {
    const writes = [
      this.redis.del(keys.session(session.id)),
      this.redis.del(keys.resumeToken(session.resumeToken)),
      this.redis.srem(keys.sessionsOf(owner), session.id),
    ];
    if (session.previousToken !== undefined) writes.push(this.redis.del(keys.resumeToken(session.previousToken)));
    await Promise.all(writes);
  }
}
