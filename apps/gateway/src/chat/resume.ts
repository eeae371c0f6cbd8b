import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { CloseCode } from '@strangers/protocol';
import { ownerGateway, type HandoffEntry, type OwnerToken, type Redis, type SessionRecord } from '@strangers/redis';
import { isOwnerAlive, isOwnerDisconnected } from '../cluster/liveness.js';
import type { ChatStore } from './chat-store.js';
import type { ChatConnection } from './connection.js';
import type { ChatReaper } from './reaper.js';
import type { ChatRegistry, HandoffHandlers } from './registry.js';
import type { SessionStore } from './session-store.js';
import { Session } from './session.js';

const MAX_RESUME_ATTEMPTS = 5;
/** RFC 6455 "try again later": the SDK resumes again (closeAdvice), with the same token. */
const TRY_AGAIN_LATER = 1013;

const isOpen = (ws: WebSocket): boolean => ws.readyState === ws.OPEN;

/**
 * Resume (PROTOCOL.md §1 "Resume"; ARCHITECTURE.md "Resume: sessions outlive sockets"): a
 * `/ws?resume=<token>&last=<seq>` socket finds its session here, on another live gateway (the
 * handoff), or as an orphan, and both halves of the handoff: asking the owner for a session,
 * and letting one of ours go when another gateway asks.
 *
 * One owner of the socket at a time: this module holds the new socket (no listeners) until
 * the session is ours (claimed, handed over, or held here) and detached, with its grace
 * running; then `ChatConnection.resumeOn` moves the chat and attaches the socket only once
 * that succeeded. Whatever happens to the socket meanwhile, the session stays one ordinary
 * session: a socket that closed leaves it detached until its grace runs out; a failed move
 * closes the socket with 1013 and leaves it resumable again with the same token (no
 * `resumed`, no second session); an unknown or expired token gets `resume_failed` and a
 * fresh session.
 */
export class ChatResume implements HandoffHandlers {
  private readonly handoffWaiters = new Map<string, (ok: boolean) => void>();

  constructor(
    private readonly redis: Redis,
    private readonly registry: ChatRegistry,
    private readonly store: SessionStore,
    private readonly chats: ChatStore,
    private readonly reaper: ChatReaper,
    /** How long a resume waits for the previous gateway to hand the session over. */
    private readonly handoffTimeoutMs: number,
    private readonly logger: Logger,
  ) {}

  /** Resumes the session of `token` on `ws`; a fresh session (after `error resume_failed`) if there is none. */
  start(ws: WebSocket, token: string, last: number, ipHash: string): void {
    this.resume(ws, token, last, ipHash).catch((error: Error) => {
      // Before any session was ours (after, resumeOn's failures are handled below).
      this.logger.warn({ err: error.message }, 'resume failed');
      if (isOpen(ws)) this.registry.startFresh(ws, ipHash, 'could not resume: service temporarily unavailable');
    });
  }

  private async resume(ws: WebSocket, token: string, last: number, ipHash: string): Promise<void> {
    const connection = await this.find(ws, token);
    if (!connection) {
      if (isOpen(ws)) this.registry.startFresh(ws, ipHash, 'unknown or expired resume token');
      return;
    }
    let outcome;
    try {
      outcome = await connection.resumeOn(ws, last, token);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'resume not completed; the session stays detached');
      if (isOpen(ws)) ws.close(TRY_AGAIN_LATER, 'could not resume; try again');
      return;
    }
    if (outcome === 'unknown' && isOpen(ws)) this.registry.startFresh(ws, ipHash, 'unknown or expired resume token');
    else if (typeof outcome === 'object' && isOpen(ws)) ws.close(outcome.gone.code, outcome.gone.reason);
  }

  /**
   * The session of `token`, made ours: held here already, handed over by its live owner, or
   * claimed as an orphan. Undefined when there is none, or when the socket closed before
   * anything was taken (the session then stays where it was, its grace running there).
   */
  private async find(ws: WebSocket, token: string): Promise<ChatConnection | undefined> {
    const sessionId = await this.store.lookup(token);
    if (!sessionId) return undefined;
    const local = this.registry.connections.get(sessionId);
    if (local) return local.session.acceptsToken(token) ? local : undefined;
    for (let attempt = 0; attempt < MAX_RESUME_ATTEMPTS; attempt++) {
      const record = await this.store.read(sessionId);
      if (!record || (record.token !== token && record.prevToken !== token)) return undefined;
      const owner = record.owner;
      // Handed over to us (or claimed on an earlier attempt): take it from the record.
      if (owner === this.store.owner) return this.holdHere(sessionId, record);
      if (!isOpen(ws)) return undefined;
      // A live owner is asked to hand it over; a killed one never answers, but Redis dropped
      // its connections at once: taken over now, not after its key lapses.
      if (owner !== '' && (await isOwnerAlive(this.redis, owner)) && !(await isOwnerDisconnected(this.redis, owner))) {
        await this.requestHandoff(sessionId, owner);
        continue;
      }
      if (owner !== '') {
        // Its gateway died (and no reaper got to it yet): first what that gateway never read.
        if (record.state === 'waiting') await this.reaper.recoverAssignments(owner, [sessionId]);
        await this.store.orphan(sessionId, owner, Date.now() + this.registry.resumeGraceMs);
      }
      if ((await this.store.claim(sessionId, token, '')) === 'unknown') return undefined;
    }
    return undefined;
  }

  /** A session whose record names us: held here from now on, detached, its grace running. */
  private async holdHere(sessionId: string, record: SessionRecord): Promise<ChatConnection> {
    const held = this.registry.connections.get(sessionId);
    if (held) return held;
    const connection = this.registry.adopt(Session.fromRecord(sessionId, record));
    connection.holdDetached();
    // A handoff does not list it among ours (a claim does; listing twice costs nothing).
    await this.store.relist(sessionId);
    return connection;
  }

  /** The requesting half: asks the live owner to let the session go to us; resolves when it did or time ran out. */
  private async requestHandoff(sessionId: string, owner: OwnerToken): Promise<boolean> {
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        this.handoffWaiters.delete(sessionId);
        resolve(false);
      }, this.handoffTimeoutMs);
      this.handoffWaiters.set(sessionId, (ok) => {
        clearTimeout(timer);
        this.handoffWaiters.delete(sessionId);
        resolve(ok);
      });
    });
    await this.chats.sendControl(ownerGateway(owner), { t: 'handoff', to: sessionId, owner: this.store.owner, gw: this.registry.gatewayId });
    return answered;
  }

  onHanded(sessionId: string, ok: boolean): void {
    const waiter = this.handoffWaiters.get(sessionId);
    if (waiter) waiter(ok);
    else if (ok) void this.heldAfterAll(sessionId);
  }

  /**
   * A handoff answered after its resume gave up (timed out, or its socket closed): the record
   * names us now, so the session is ours to hold (detached, its grace running) or nobody's.
   */
  private async heldAfterAll(sessionId: string): Promise<void> {
    try {
      const record = await this.store.read(sessionId);
      if (record?.owner === this.store.owner) await this.holdHere(sessionId, record);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'late handoff not taken');
    }
  }

  /** The owner half: another gateway's client resumed one of our sessions; let it go, state saved, and say so. */
  async handOver(entry: HandoffEntry): Promise<void> {
    const { to: sessionId, owner: newOwner, gw: requester } = entry;
    const connection = this.registry.connections.get(sessionId);
    let ok = false;
    if (connection) {
      this.registry.forget(connection);
      connection.letGo(CloseCode.sessionTakenOver, 'session resumed on another gateway');
      try {
        await this.store.handOver(connection.session, newOwner);
        ok = true;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'handoff not stored');
        this.registry.connections.set(sessionId, connection);
        connection.takeBack();
      }
    }
    await this.chats
      .sendControl(requester, { t: 'handed', to: sessionId, ok })
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'handoff answer lost'));
  }
}
