import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { CloseCode } from '@strangers/protocol';
import { ownerGateway, type HandoffEntry, type OwnerToken, type Redis } from '@strangers/redis';
import { isOwnerAlive } from '../cluster/liveness.js';
import type { ChatStore } from './chat-store.js';
import type { ChatReaper } from './reaper.js';
import type { ChatRegistry, HandoffHandlers } from './registry.js';
import type { SessionStore } from './session-store.js';
import { Session } from './session.js';

const MAX_RESUME_ATTEMPTS = 5;

/**
 * Resume (PROTOCOL.md §1 "Resume"; ARCHITECTURE.md "Resume: sessions outlive sockets"): a
 * `/ws?resume=<token>&last=<seq>` socket finds its session here, on another live gateway (the
 * handoff), or as an orphan, and both halves of the handoff: asking the owner for a session,
 * and letting one of ours go when another gateway asks.
 *
 * While a resume is under way this module alone holds the new socket: nothing else sees it
 * until it is attached to the resumed session (`ChatConnection.attach`) or, when the resume
 * fails, to a fresh one.
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

  /** Resumes the session of `token` on `ws`; a fresh session (after `error resume_failed`) if it cannot. */
  start(ws: WebSocket, token: string, last: number, ipHash: string): void {
    this.resume(ws, token, last, ipHash).catch((error: Error) => {
      this.logger.warn({ err: error.message }, 'resume failed');
      this.registry.startFresh(ws, ipHash, 'could not resume: service temporarily unavailable');
    });
  }

  private async resume(ws: WebSocket, token: string, last: number, ipHash: string): Promise<void> {
    const sessionId = await this.store.lookup(token);
    const local = sessionId ? this.registry.connections.get(sessionId) : undefined;
    if (local && local.session.resumeToken === token) {
      local.detachSocket(CloseCode.sessionTakenOver, 'session resumed on another connection');
      local.attach(ws);
      await local.resume(last);
      return;
    }
    for (let attempt = 0; sessionId && attempt < MAX_RESUME_ATTEMPTS; attempt++) {
      const record = await this.store.read(sessionId);
      if (!record || record.token !== token) break;
      const owner = record.owner;
      if (owner === this.store.owner) {
        // Handed over to us (or claimed on an earlier attempt): take it from the record.
        const connection = this.registry.adopt(Session.fromRecord(sessionId, record));
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
        if (record.state === 'waiting') await this.reaper.recoverAssignments(owner, [sessionId]);
        await this.store.orphan(sessionId, owner, Date.now() + this.registry.resumeGraceMs);
      }
      const claimed = await this.store.claim(sessionId, token, '');
      if (claimed === 'unknown') break;
    }
    this.registry.startFresh(ws, ipHash, 'unknown or expired resume token');
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
    this.handoffWaiters.get(sessionId)?.(ok);
  }

  /** The owner half: another gateway's client resumed one of our sessions; let it go, state saved, and say so. */
  async handOver(entry: HandoffEntry): Promise<void> {
    const { to: sessionId, owner: newOwner, gw: requester } = entry;
    const connection = this.registry.connections.get(sessionId);
    let ok = false;
    if (connection) {
      this.registry.forget(connection);
      connection.detachSocket(CloseCode.sessionTakenOver, 'session resumed on another gateway');
      try {
        await this.store.handOver(connection.session, newOwner);
        ok = true;
      } catch (error) {
        this.logger.warn({ err: (error as Error).message }, 'handoff not stored');
        this.registry.connections.set(sessionId, connection);
      }
    }
    await this.chats
      .sendControl(requester, { t: 'handed', to: sessionId, ok })
      .catch((error: Error) => this.logger.warn({ err: error.message }, 'handoff answer lost'));
  }
}
