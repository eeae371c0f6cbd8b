import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { CloseCode, ErrorCode, type ClientFrameDecoder } from '@strangers/protocol';
import { encodeControlEntry, keys, type ControlEntry, type InboxEntry, type PairedEntry, type Redis } from '@strangers/redis';
import { ChatConnection, type ChatConnectionDeps, type ChatConnectionSettings } from './chat-connection.js';
import type { ChatRelay } from './chat-relay.js';
import { isOwnerAlive, type Liveness } from './liveness.js';
import { readPairAssignments } from './lost-assignments.js';
import type { SessionStore } from './session-store.js';
import { Session } from './session.js';

export interface ChatServiceSettings extends ChatConnectionSettings {
  /** How long a resume waits for the previous gateway to hand the session over. */
  handoffTimeoutMs: number;
}

const MAX_RESUME_ATTEMPTS = 5;
const ORPHANS_PER_SWEEP = 200;

/**
 * The `/ws` sessions of this gateway: new connections, resume (here, from another live
 * gateway by handoff, or of an orphan), routing of control and inbox entries, and the
 * reaping of sessions whose gateway died or whose grace ran out.
 */
export class ChatService {
  readonly connections = new Map<string, ChatConnection>();
  private readonly connectionDeps: ChatConnectionDeps;
  private readonly handoffWaiters = new Map<string, (ok: boolean) => void>();
  private reaping = false;

  constructor(
    private readonly redis: Redis,
    private readonly relay: ChatRelay,
    private readonly store: SessionStore,
    private readonly decoder: ClientFrameDecoder,
    private readonly settings: ChatServiceSettings,
    private readonly online: () => number,
    private readonly logger: Logger,
    liveness: Liveness,
  ) {
    liveness.onTick((lapsed) => {
      if (lapsed) void this.reclaim();
      void this.reap();
    });
    // One dependencies object shared by every connection (a per-connection copy costs memory).
    this.connectionDeps = {
      ...this.settings,
      relay: this.relay,
      store: this.store,
      decoder: this.decoder,
      online: this.online,
      logger: this.logger,
      onFinished: (finished) => {
        if (this.connections.get(finished.session.id) === finished) this.connections.delete(finished.session.id);
      },
    };
  }

  onSocket(ws: WebSocket, request: IncomingMessage, ipHash: string): void {
    const query = new URL(request.url ?? '/', 'http://gateway').searchParams;
    const token = query.get('resume');
    if (token) {
      const lastRaw = query.get('last');
      const last = lastRaw !== null && /^\d{1,15}$/.test(lastRaw) ? Number(lastRaw) : 0;
      this.resume(ws, token, last, ipHash).catch((error: Error) => {
        this.logger.warn({ err: error.message }, 'resume failed');
        this.startFresh(ws, ipHash, 'could not resume: service temporarily unavailable');
      });
      return;
    }
    this.startFresh(ws, ipHash);
  }

  private startFresh(ws: WebSocket, ipHash: string, resumeError?: string): void {
    const connection = this.adopt(new Session(ipHash));
    connection.attach(ws);
    if (resumeError) connection.send({ type: 'error', code: ErrorCode.resumeFailed, message: resumeError });
    connection.welcome();
    this.store.create(connection.session).catch((error: Error) => this.logger.warn({ err: error.message }, 'session not stored; it cannot be resumed'));
  }

  private adopt(session: Session): ChatConnection {
    const connection = new ChatConnection(session, this.connectionDeps);
    this.connections.set(session.id, connection);
    return connection;
  }

  private async resume(ws: WebSocket, token: string, last: number, ipHash: string): Promise<void> {
    const sessionId = await this.store.lookup(token);
    const local = sessionId ? this.connections.get(sessionId) : undefined;
    if (local && local.session.resumeToken === token) {
      local.detachSocket(CloseCode.sessionTakenOver, 'session resumed on another connection');
      local.attach(ws);
      await local.resume(last);
      return;
    }
    for (let attempt = 0; sessionId && attempt < MAX_RESUME_ATTEMPTS; attempt++) {
      const record = await this.store.read(sessionId);
      if (!record || record.token !== token) break;
      const owner = record.owner ?? '';
      if (owner === this.store.owner) {
        // Handed over to us (or claimed on an earlier attempt): take it from the record.
        const connection = this.adopt(Session.fromRecord(sessionId, record));
        connection.attach(ws);
        await connection.resume(last);
        return;
      }
      if (owner !== '' && (await isOwnerAlive(this.redis, owner))) {
        await this.requestHandoff(sessionId, owner);
        continue;
      }
      if (owner !== '') {
        // Its gateway died (and no reaper got to it yet): first what that gateway never read.
        if (record.state === 'waiting') await this.recoverAssignments(owner, [sessionId]);
        await this.store.orphan(sessionId, owner, Date.now() + this.settings.resumeGraceMs);
      }
      const claimed = await this.store.claim(sessionId, token, '');
      if (claimed === 'unknown') break;
    }
    this.startFresh(ws, ipHash, 'unknown or expired resume token');
  }

  /** Asks the live owner to let the session go to us; resolves when it did or time ran out. */
  private async requestHandoff(sessionId: string, owner: string): Promise<boolean> {
    const gatewayId = owner.slice(0, owner.indexOf('|'));
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.handoffWaiters.delete(sessionId);
        resolve(false);
      }, this.settings.handoffTimeoutMs);
      this.handoffWaiters.set(sessionId, (ok) => {
        clearTimeout(timer);
        this.handoffWaiters.delete(sessionId);
        resolve(ok);
      });
    });
    await this.redis.xadd(
      keys.gatewayControl(gatewayId),
      '*',
      ...encodeControlEntry({ t: 'handoff', to: sessionId, owner: this.store.owner, gw: this.settings.gatewayId }),
    );
    return answered;
  }

  onControl(entry: ControlEntry): void {
    switch (entry.t) {
      case 'paired': {
        const connection = this.connections.get(entry.to);
        if (connection) connection.onPaired(entry);
        else void this.onPairedElsewhere(entry);
        return;
      }
      case 'handoff':
        void this.handOver(entry.to, entry.owner, entry.gw);
        return;
      case 'handed':
        this.handoffWaiters.get(entry.to)?.(entry.ok);
        return;
    }
  }

  onInbox(entry: InboxEntry): void {
    this.connections.get(entry.to)?.onInbox(entry);
  }

  /** Another gateway's client resumed one of our sessions: let it go, state saved, and say so. */
  private async handOver(sessionId: string, newOwner: string, requester: string): Promise<void> {
    const connection = this.connections.get(sessionId);
    let ok = false;
    if (connection) {
      this.connections.delete(sessionId);
      connection.detachSocket(CloseCode.sessionTakenOver, 'session resumed on another gateway');
      try {
        await this.redis.hset(keys.session(sessionId), { ...connection.session.toRecord(), owner: newOwner, detached: '1' });
        await this.store.release(sessionId);
        ok = true;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'handoff not stored');
        this.connections.set(sessionId, connection);
      }
    }
    await this.redis
      .xadd(keys.gatewayControl(requester), '*', ...encodeControlEntry({ t: 'handed', to: sessionId, ok }))
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'handoff answer lost'));
  }

  /**
   * A pair assignment for a session not held here: it moved (forward it to its owner), is
   * orphaned (store the pairing in its record, for its resume or its reaper), or is gone
   * (end the chat, so the partner is told at once).
   */
  private async onPairedElsewhere(entry: PairedEntry): Promise<void> {
    try {
      const record = await this.store.read(entry.to);
      const owner = record?.owner ?? '';
      const ownerGateway = owner.slice(0, owner.indexOf('|'));
      if (record && owner !== '' && ownerGateway !== this.settings.gatewayId) {
        await this.redis.xadd(keys.gatewayControl(ownerGateway), '*', ...encodeControlEntry(entry));
      } else if (record && owner === '') {
        await this.store.assign(entry, '');
      } else if (!record) {
        const chat = { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: [], lastDeliveredSeq: 0 };
        await this.relay.end(entry.to, chat, 'disconnected');
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'pair assignment for a moved session not handled');
    }
  }

  /**
   * Runs on every liveness tick, on every gateway: orphans the sessions of gateway boots
   * that stopped refreshing their liveness key (their clients may resume anywhere within the
   * grace), and ends orphans whose grace has run out. Both steps are idempotent across
   * gateways (compare-and-set on the owner; removing the orphan marker decides who ends it).
   */
  async reap(): Promise<void> {
    if (this.reaping) return;
    this.reaping = true;
    try {
      for (const owner of await this.redis.smembers(keys.sessionOwners)) {
        if (owner === this.store.owner || (await isOwnerAlive(this.redis, owner))) continue;
        await this.orphanAll(owner);
      }
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

  private async orphanAll(owner: string): Promise<void> {
    const sessionIds = await this.redis.smembers(keys.sessionsOf(owner));
    await this.recoverAssignments(owner, sessionIds);
    const deadline = Date.now() + this.settings.resumeGraceMs;
    let orphaned = 0;
    for (const sessionId of sessionIds) {
      if (!(await this.store.orphan(sessionId, owner, deadline))) continue;
      orphaned++;
      // A waiting orphan's future pair assignments must reach a live gateway: re-announce its
      // join (same gen: it keeps its queue place) as ours; we store them in its record.
      const record = await this.store.read(sessionId);
      if (record?.state === 'waiting') {
        const session = Session.fromRecord(sessionId, record);
        await this.relay.publish({ t: 'join', sid: sessionId, gw: this.settings.gatewayId, gen: session.gen, interests: session.interests, ipHash: session.ipHash, block: false });
      }
    }
    await this.store.forgetOwner(owner);
    this.logger.info({ owner, orphaned }, 'sessions of a dead gateway orphaned');
  }

  /**
   * Pair assignments the dead boot `owner` never read (see lost-assignments.ts), stored in
   * the records of its sessions still waiting for them while it still owns them (so before
   * they are orphaned, and a resume cannot have claimed them): their resume then lands in
   * the chat, and their reaper, once the grace runs out, tells the partner `disconnected`.
   */
  private async recoverAssignments(owner: string, sessionIds: readonly string[]): Promise<void> {
    const unread = await readPairAssignments(this.redis, owner.slice(0, owner.indexOf('|')));
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
  private async reclaim(): Promise<void> {
    for (const connection of [...this.connections.values()]) {
      const { session } = connection;
      try {
        const result = await this.store.claim(session.id, session.resumeToken, '');
        // The claim set `detached`; while orphaned, another gateway may have written the
        // record too (a pair assignment): the next save writes it whole.
        if (result === 'claimed') session.forgetWritten();
        if (result === 'unknown') {
          this.connections.delete(session.id);
          connection.detachSocket(CloseCode.serviceRestart, 'session expired while the service was unavailable');
        } else if (result === 'moved') {
          // Still ours (nobody orphaned it) or handed elsewhere; make sure the index has it.
          await this.redis.sadd(keys.sessionsOf(this.store.owner), session.id);
        }
      } catch (error) {
        this.logger.debug({ err: (error as Error).message }, 'session not reclaimed yet');
      }
    }
    await this.redis.sadd(keys.sessionOwners, this.store.owner).catch(() => {});
  }

  /** The grace of an orphan ran out: end its chat or queue place for good. */
  private async endOrphan(sessionId: string): Promise<void> {
    const record = await this.store.read(sessionId);
    if (!record || record.owner) return;
    const session = Session.fromRecord(sessionId, record);
    if (session.state === 'paired' && session.chat) await this.relay.end(sessionId, session.chat, 'disconnected');
    else if (session.state === 'waiting') await this.relay.publish({ t: 'cancel', sid: sessionId, gen: session.gen });
    await this.store.remove(session, '');
  }

  /**
   * Drain: every session becomes an orphan (resumable anywhere within the grace) and its
   * socket is closed with 1012. Waiting sessions leave the queue (their resume re-joins).
   */
  async drain(): Promise<void> {
    const deadline = Date.now() + this.settings.resumeGraceMs;
    await Promise.all(
      [...this.connections.values()].map(async (connection) => {
        const { session } = connection;
        connection.detachSocket(CloseCode.serviceRestart, 'gateway restarting');
        this.connections.delete(session.id);
        try {
          await this.store.save(session, true);
          if (session.state === 'waiting') await this.relay.publish({ t: 'cancel', sid: session.id, gen: session.gen });
          await this.store.orphan(session.id, this.store.owner, deadline);
        } catch (error) {
          this.logger.warn({ err: (error as Error).message }, 'session not handed over on drain');
        }
      }),
    );
    await this.redis.srem(keys.sessionOwners, this.store.owner).catch(() => {});
  }
}
