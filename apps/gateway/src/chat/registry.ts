import type { WebSocket } from 'ws';
import type { Logger } from '@strangers/config';
import { CloseCode, ErrorCode } from '@strangers/protocol';
import { ownerGateway, type ControlEntry, type HandoffEntry, type InboxEntry, type PairedEntry } from '@strangers/redis';
import type { ChatStore } from './chat-store.js';
import { ChatConnection, type ChatConnectionDeps } from './connection.js';
import type { SessionStore } from './session-store.js';
import { Session } from './session.js';

/** Bounds of the key refresh interval (a third of the TTL): a test's TTL of seconds, production's of a day. */
const MIN_KEY_REFRESH_MS = 250;
const MAX_KEY_REFRESH_MS = 3_600_000;
/** Sessions whose keys are renewed at once (their commands are pipelined). */
const KEY_REFRESH_BATCH = 500;

/** The two halves of the handoff (resume.ts), reached from the control stream. */
export interface HandoffHandlers {
  /** Another gateway asks for one of our sessions. */
  handOver(entry: HandoffEntry): Promise<void>;
  /** The answer to a handoff we asked for. */
  onHanded(sessionId: string, ok: boolean): void;
}

/**
 * The `/ws` sessions this gateway holds: the connection map, new sessions, routing of the
 * control and inbox entries the inbox reader hands over (by session id: nothing a client
 * sends names another session), and the drain.
 */
export class ChatRegistry {
  readonly connections = new Map<string, ChatConnection>();
  /** One dependencies object shared by every connection (a per-connection copy costs memory). */
  private readonly connectionDeps: ChatConnectionDeps;
  /** Set by the chat service once the resume module exists (it needs this registry). */
  handoffs: HandoffHandlers | undefined;
  private readonly keyRefresh: NodeJS.Timeout;
  private refreshing = false;

  constructor(
    private readonly chats: ChatStore,
    private readonly store: SessionStore,
    deps: Omit<ChatConnectionDeps, 'onFinished' | 'chats' | 'store'>,
    private readonly logger: Logger,
  ) {
    this.connectionDeps = {
      ...deps,
      chats,
      store,
      onFinished: (finished) => {
        if (this.connections.get(finished.session.id) === finished) this.connections.delete(finished.session.id);
      },
    };
    const refreshMs = Math.min(Math.max((store.ttlSeconds * 1000) / 3, MIN_KEY_REFRESH_MS), MAX_KEY_REFRESH_MS);
    this.keyRefresh = setInterval(() => void this.refreshKeys(), refreshMs);
    this.keyRefresh.unref();
  }

  /**
   * Renews the TTL of the keys of every session held here and of its chat, so that keys of
   * a live session or chat never expire under it however long it idles (CHAT_TTL_SECONDS is
   * a safety net for what nobody ends). A few commands per session per third of the TTL.
   */
  private async refreshKeys(): Promise<void> {
    if (this.refreshing) return;
    this.refreshing = true;
    try {
      const held = [...this.connections.values()];
      for (let i = 0; i < held.length; i += KEY_REFRESH_BATCH) {
        await Promise.all(
          held.slice(i, i + KEY_REFRESH_BATCH).map(({ session }) => {
            const chat = session.state === 'paired' ? session.chat : undefined;
            return Promise.all([this.store.refreshTtl(session), chat && this.chats.touch(chat)]);
          }),
        );
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'key TTLs not renewed; next round retries');
    } finally {
      this.refreshing = false;
    }
  }

  get gatewayId(): string {
    return this.connectionDeps.gatewayId;
  }

  get resumeGraceMs(): number {
    return this.connectionDeps.resumeGraceMs;
  }

  /** Holds `session` here from now on (new, resumed from its record, or handed to us). */
  adopt(session: Session): ChatConnection {
    const connection = new ChatConnection(session, this.connectionDeps);
    this.connections.set(session.id, connection);
    return connection;
  }

  /** Lets go of a session held here (handed over, or expired while we were cut off). */
  forget(connection: ChatConnection): void {
    if (this.connections.get(connection.session.id) === connection) this.connections.delete(connection.session.id);
  }

  /** A new session on `ws`: welcome (after the resume error, if a resume failed), then its record. */
  startFresh(ws: WebSocket, ipHash: string, resumeError?: string): void {
    const connection = this.adopt(new Session(ipHash));
    connection.attach(ws);
    if (resumeError) connection.send({ type: 'error', code: ErrorCode.resumeFailed, message: resumeError });
    connection.welcome();
    this.store.create(connection.session).catch((error: Error) => this.logger.warn({ err: error.message }, 'session not stored; it cannot be resumed'));
  }

  onControl(entry: ControlEntry): void {
    switch (entry.t) {
      case 'paired': {
        const connection = this.connections.get(entry.to);
        if (connection) connection.onPaired(entry);
        else void this.onPairedElsewhere(entry);
        return;
      }
      case 'rematch_offer': {
        const connection = this.connections.get(entry.to);
        if (connection) connection.onRematchOffer(entry);
        else void this.forwardToOwner(entry);
        return;
      }
      case 'handoff':
        void this.handoffs?.handOver(entry);
        return;
      case 'handed':
        this.handoffs?.onHanded(entry.to, entry.ok);
        return;
    }
  }

  onInbox(entry: InboxEntry): void {
    this.connections.get(entry.to)?.onInbox(entry);
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
      const gateway = ownerGateway(owner);
      if (record && owner !== '' && gateway !== this.gatewayId) {
        await this.chats.sendControl(gateway, entry);
      } else if (record && owner === '') {
        await this.store.assign(entry, '');
      } else if (!record) {
        const chat = { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: [], lastDeliveredSeq: 0 };
        await this.chats.end(entry.to, chat, 'disconnected');
      }
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'pair assignment for a moved session not handled');
    }
  }

  /** An entry for a session that moved to another live gateway: sent on there (else dropped: an offer is only a hint). */
  private async forwardToOwner(entry: ControlEntry & { to: string }): Promise<void> {
    try {
      const gateway = ownerGateway((await this.store.read(entry.to))?.owner ?? '');
      if (gateway !== '' && gateway !== this.gatewayId) await this.chats.sendControl(gateway, entry);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'control entry for a moved session not forwarded');
    }
  }

  /**
   * Drain: every session becomes an orphan (resumable anywhere within the grace) and its
   * socket is closed with 1012. Waiting sessions leave the queue (their resume re-joins).
   */
  async drain(): Promise<void> {
    clearInterval(this.keyRefresh);
    const deadline = Date.now() + this.resumeGraceMs;
    await Promise.all(
      [...this.connections.values()].map(async (connection) => {
        const { session } = connection;
        connection.letGo(CloseCode.serviceRestart, 'gateway restarting');
        this.connections.delete(session.id);
        try {
          await this.store.save(session, true);
          // Parked, not cancelled: its resume elsewhere re-sends the join and gets its place back.
          if (session.state === 'waiting') await this.chats.publish({ t: 'park', sid: session.id, gen: session.gen });
          await this.store.orphan(session.id, this.store.owner, deadline);
        } catch (error) {
          this.logger.warn({ err: (error as Error).message }, 'session not handed over on drain');
        }
      }),
    );
    await this.store.unlistOwner().catch(() => {});
  }
}
