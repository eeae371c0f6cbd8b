import type { Logger } from '@strangers/config';
import { CloseCode } from '@strangers/protocol';
import { ownerGateway, type OwnerToken, type Redis } from '@strangers/redis';
import { sweepDeadOwners } from '../cluster/dead-owners.js';
import type { ChatStore } from './chat-store.js';
import type { ChatConnection } from './connection.js';
import type { ChatRegistry } from './registry.js';
import type { SessionStore } from './session-store.js';
import { Session } from './session.js';

const ORPHANS_PER_SWEEP = 200;

/**
 * The cluster-wide janitor of `/ws` sessions (ARCHITECTURE.md "Liveness, drain and
 * reaping"), run on every liveness tick by every gateway: the sessions of dead gateway boots
 * become orphans (their unread pair assignments recovered first), orphans whose grace ran
 * out are ended, and after our own liveness lapsed our sessions are claimed back.
 */
export class ChatReaper {
  private reaping = false;

  constructor(
    private readonly redis: Redis,
    private readonly registry: ChatRegistry,
    private readonly store: SessionStore,
    private readonly chats: ChatStore,
    private readonly logger: Logger,
  ) {}

  /**
   * Orphans the sessions of gateway boots that stopped refreshing their liveness key (their
   * clients may resume anywhere within the grace), and ends orphans whose grace has run out.
   * Both steps are idempotent across gateways (compare-and-set on the owner; removing the
   * orphan marker decides who ends it).
   */
  async reap(): Promise<void> {
    if (this.reaping) return;
    this.reaping = true;
    try {
      await sweepDeadOwners(this.redis, await this.store.owners(), this.store.owner, (owner) => this.orphanAll(owner));
      const now = Date.now();
      for (const entry of await this.store.dueOrphans(now, ORPHANS_PER_SWEEP)) {
        if ((await this.store.takeDueOrphan(entry, now)) === 'take') await this.endOrphan(entry.sessionId);
      }
    } catch (error) {
      this.logger.debug({ err: (error as Error).message }, 'reap failed');
    } finally {
      this.reaping = false;
    }
  }

  private async orphanAll(owner: OwnerToken): Promise<void> {
    const sessionIds = await this.store.sessionsOf(owner);
    await this.recoverAssignments(owner, sessionIds);
    const deadline = Date.now() + this.registry.resumeGraceMs;
    let orphaned = 0;
    for (const sessionId of sessionIds) {
      if (!(await this.store.orphan(sessionId, owner, deadline))) continue;
      orphaned++;
      // A waiting orphan's future pair assignments must reach a live gateway: re-announce its
      // join (same gen: it keeps its queue place) as ours; we store them in its record. It is
      // parked at once, as any dropped waiting session is: nobody is paired with it before its
      // client is back (its resume re-sends the join, which un-parks it in place).
      const record = await this.store.read(sessionId);
      if (record?.state === 'waiting') {
        const session = Session.fromRecord(sessionId, record);
        const { lang, age, media } = session.match;
        await this.chats.publish({ t: 'join', sid: sessionId, gw: this.registry.gatewayId, gen: session.gen, interests: session.interests, ipHash: session.ipHash, block: false, lang, age, media });
        await this.chats.publish({ t: 'park', sid: sessionId, gen: session.gen });
      }
    }
    await this.store.forgetOwner(owner);
    const cleaned = await this.chats.deleteDeadGatewayKeys(ownerGateway(owner));
    this.logger.info({ owner, orphaned, onlineEntryDeleted: cleaned }, 'sessions of a dead gateway orphaned');
  }

  /**
   * Pair assignments the dead boot `owner` never read (ChatStore.unreadPairAssignments),
   * stored in the records of its sessions still waiting for them while it still owns them
   * (so before they are orphaned, and a resume cannot have claimed them): their resume then
   * lands in the chat, and their reaper, once the grace runs out, tells the partner
   * `disconnected`. Also run by a resume that finds the owner dead first.
   */
  async recoverAssignments(owner: OwnerToken, sessionIds: readonly string[]): Promise<void> {
    const unread = await this.chats.unreadPairAssignments(ownerGateway(owner));
    if (unread.size === 0) return;
    for (const sessionId of sessionIds) {
      for (const entry of unread.get(sessionId) ?? []) {
        if (!(await this.store.assign(entry, owner))) continue;
        this.logger.info({ session: sessionId, chat: entry.chat }, 'pair assignment left by a dead gateway recovered');
        break;
      }
    }
  }

  /**
   * Our liveness key lapsed (Redis was out of reach longer than its TTL), so another
   * gateway may have orphaned our sessions meanwhile: take back every one still orphaned.
   * One already reaped (its grace ran out too) cannot be saved: its client is told to go.
   */
  async reclaim(): Promise<void> {
    for (const connection of [...this.registry.connections.values()]) {
      const { session } = connection;
      try {
        const result = await this.store.claim(session.id, session.resumeToken, '');
        // The claim set `detached`; while orphaned, another gateway may have written the
        // record too (a pair assignment): the next save writes it whole.
        if (result === 'claimed') session.forgetWritten();
        if (result === 'unknown') {
          this.registry.forget(connection);
          connection.letGo(CloseCode.serviceRestart, 'session expired while the service was unavailable');
        } else if (result === 'moved') {
          await this.keepOrLetGo(connection);
        }
      } catch (error) {
        this.logger.debug({ err: (error as Error).message }, 'session not reclaimed yet');
      }
    }
    await this.store.relistOwner().catch(() => {});
  }

  /**
   * A session the claim found owned: still ours (nobody orphaned it), so the index must have
   * it; or taken over meanwhile — its client resumed on another gateway while we were cut off,
   * after a reaper orphaned it. That one is no longer ours to hold, deliver into or end (its
   * grace running out here would tell the partner `disconnected` while it lives on there):
   * it goes from here without a write, as after a handoff.
   */
  private async keepOrLetGo(connection: ChatConnection): Promise<void> {
    const { session } = connection;
    const record = await this.store.read(session.id);
    if (record && record.owner !== '' && record.owner !== this.store.owner) {
      this.registry.forget(connection);
      connection.letGo(CloseCode.sessionTakenOver, 'session resumed on another gateway');
      this.logger.info({ session: session.id, owner: record.owner }, 'session taken over by another gateway while this one was cut off; let go');
      return;
    }
    await this.store.relist(session.id);
  }

  /** The grace of an orphan ran out: end its chat or queue place for good. */
  private async endOrphan(sessionId: string): Promise<void> {
    const record = await this.store.read(sessionId);
    if (!record || record.owner) return;
    const session = Session.fromRecord(sessionId, record);
    if (session.state === 'paired' && session.chat) await this.chats.end(sessionId, session.chat, 'disconnected');
    else if (session.state === 'waiting') await this.chats.publish({ t: 'cancel', sid: sessionId, gen: session.gen });
    await this.store.remove(session, '');
  }
}
