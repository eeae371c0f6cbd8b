import { keys, type Redis } from '@strangers/redis';
import { Session, type SessionRecord } from './session.js';

export interface SessionStoreSettings {
  /** This gateway boot's owner token (`<gateway>|<boot>`), see liveness.ts. */
  owner: string;
  /** Safety net: records of sessions nobody finalized expire after this. */
  recordTtlSeconds: number;
}

export type ClaimResult = 'claimed' | 'unknown' | 'moved';

/**
 * The durable copy of `/ws` sessions that makes resume work on any gateway. The owning
 * gateway writes a session's state on every transition (never per message); a gateway a
 * client resumes on claims the record with a compare-and-set on its owner.
 */
export class SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly settings: SessionStoreSettings,
  ) {}

  get owner(): string {
    return this.settings.owner;
  }

  /** Registers a new session (and its token) as ours. */
  async create(session: Session): Promise<void> {
    const ttl = this.settings.recordTtlSeconds;
    await this.redis
      .multi()
      .hset(keys.session(session.id), { ...session.toRecord(), owner: this.owner, detached: '0' })
      .expire(keys.session(session.id), ttl)
      .set(keys.resumeToken(session.resumeToken), session.id, 'EX', ttl)
      .sadd(keys.sessionsOf(this.owner), session.id)
      .sadd(keys.sessionOwners, this.owner)
      .exec();
  }

  /** Writes a session's state after a transition. */
  async save(session: Session, detached = false): Promise<void> {
    await this.redis.hset(keys.session(session.id), { ...session.toRecord(), detached: detached ? '1' : '0' });
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
    const status = await this.redis.sessionClaim(keys.session(sessionId), keys.sessionOrphans, sessionId, token, expectedOwner, this.owner);
    if (status === 1) {
      await this.redis.multi().sadd(keys.sessionsOf(this.owner), sessionId).sadd(keys.sessionOwners, this.owner).exec();
      return 'claimed';
    }
    return status === 0 ? 'unknown' : 'moved';
  }

  /** Gives one of our sessions up for adoption until `deadline` (drain, or a boot found dead). */
  async orphan(sessionId: string, owner: string, deadline: number): Promise<boolean> {
    const done = (await this.redis.sessionOrphan(keys.session(sessionId), keys.sessionOrphans, sessionId, owner, deadline)) === 1;
    await this.redis.srem(keys.sessionsOf(owner), sessionId);
    return done;
  }

  /** No longer ours (handed to another gateway). */
  async release(sessionId: string): Promise<void> {
    await this.redis.srem(keys.sessionsOf(this.owner), sessionId);
  }

  /** The session is over: forget it everywhere. */
  async remove(session: Session, owner = this.owner): Promise<void> {
    await this.redis
      .multi()
      .del(keys.session(session.id))
      .del(keys.resumeToken(session.resumeToken))
      .srem(keys.sessionsOf(owner), session.id)
      .exec();
  }
}
