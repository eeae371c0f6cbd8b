import type { Logger } from '@strangers/config';
import { ErrorCode, type LeftReason, type ServerFrame } from '@strangers/protocol';
import type { ChatStore } from './chat-store.js';
import { metrics } from '../metrics.js';
import type { SessionStore } from './session-store.js';
import type { ChatLink, Session } from './session.js';

/** What a session's moves between idle, waiting and paired need from the gateway. */
export interface SessionTransitionDeps {
  gatewayId: string;
  resumeGraceMs: number;
  chats: ChatStore;
  store: SessionStore;
  online(): number;
  logger: Logger;
}

/**
 * The moves of one `/ws` session between idle, waiting and paired, and the grace of a session
 * without a socket, each with the Redis writes that follow. Apart from session-machine.ts
 * (the subclass), which decides when a frame, assignment or inbox entry makes a move: these
 * are the moves themselves, shared by every input.
 *
 * State changes happen synchronously before any Redis call is awaited, so the frames a
 * client sends back to back see each other's effect and their Redis writes go out in order.
 */
export abstract class SessionTransitions {
  private graceTimer: NodeJS.Timeout | undefined;
  /** On a cluster, the join of the current queue entry until it is published (a park follows it). */
  private joinPublished: Promise<void> | undefined;
  /** Created on first use: most sessions never log, and a pino child per socket costs memory. */
  private childLogger: Logger | undefined;

  constructor(
    readonly session: Session,
    protected readonly deps: SessionTransitionDeps,
  ) {}

  /** Sends a frame to the client, if one is attached. */
  abstract send(frame: ServerFrame): void;

  /** False while the client is away within its resume grace. */
  abstract get attached(): boolean;

  /** Ends the session for good (the grace ends with it when the client does not come back). */
  abstract finish(reason: LeftReason): void;

  protected get log(): Logger {
    return (this.childLogger ??= this.deps.logger.child({ session: this.session.id }));
  }

  // ---- the grace: a session without a socket ----

  /** The client is back (a new socket): the grace ends. */
  protected stopGrace(): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
  }

  /**
   * The socket dropped: the client may resume here or on any gateway within the grace. A
   * waiting session is parked meanwhile: the matcher keeps its place but pairs it with nobody
   * (nobody is paired with a stranger who has gone) until its resume joins again (same gen).
   */
  protected startGrace(graceMs = this.deps.resumeGraceMs): void {
    this.persist();
    if (this.session.state === 'waiting') {
      const { id, gen } = this.session;
      const park = () => this.deps.chats.publish({ t: 'park', sid: id, gen }).catch((error: Error) => this.redisFailed(error, 'park'));
      // On a cluster the join waits for the record's save: the park must not overtake it.
      if (this.joinPublished) void this.joinPublished.then(park);
      else void park();
    }
    this.graceTimer = setTimeout(() => this.finish('disconnected'), graceMs);
    this.graceTimer.unref();
  }

  // ---- transitions ----

  /** Enters the queue; `avoid` is the partner just left (kept apart by the matcher). */
  enterQueue(avoid?: string, block = false): void {
    const session = this.session;
    session.state = 'waiting';
    metrics.joins.inc();
    session.gen += 1;
    const gen = session.gen;
    this.send({ type: 'waiting', online: this.deps.online() });
    const saved = this.deps.store.save(this.session, !this.attached);
    saved.catch((error: Error) => this.redisFailed(error, 'save session'));
    const publish = () =>
      this.publishJoin(avoid, block).catch((error: Error) => {
        this.log.warn({ err: error.message }, 'could not publish join');
        if (session.state === 'waiting' && session.gen === gen) {
          session.state = 'idle';
          this.sendError(ErrorCode.unavailable, 'could not enter the queue; try again');
        }
      });
    // The matcher checks each join against the session record (no ghosts), so the record
    // must be saved first. One server runs a connection's commands in order; on a cluster the
    // record and the join stream are on different nodes, so the join waits for the save.
    if (this.deps.store.ordered) publish();
    else this.joinPublished = saved.then(publish, publish);
  }

  /**
   * Tells the matcher about the current join. Re-sent with the same `gen` after a resume on
   * another gateway: the matcher then keeps the queue place and routes the pair here.
   */
  publishJoin(avoid?: string, block = false): Promise<void> {
    const session = this.session;
    return this.deps.chats.publish({
      t: 'join',
      sid: session.id,
      gw: this.deps.gatewayId,
      gen: session.gen,
      interests: session.interests,
      ipHash: session.ipHash,
      avoid,
      block,
      lang: session.match.lang,
      age: session.match.age,
      media: session.match.media,
    });
  }

  /** A waiting session is back: its join again, same gen, so the matcher gives it back its place. */
  protected rejoin(): void {
    const session = this.session;
    const gen = session.gen;
    this.publishJoin().catch((error: Error) => {
      this.log.warn({ err: error.message }, 'could not publish join');
      if (session.state === 'waiting' && session.gen === gen) {
        session.state = 'idle';
        this.sendError(ErrorCode.unavailable, 'could not re-enter the queue; join again');
        this.persist();
      }
    });
  }

  protected leaveEverything(reason: LeftReason): void {
    if (this.session.state === 'paired') this.endChat(reason);
    else if (this.session.state === 'waiting') this.leaveQueue();
    this.session.state = 'idle';
  }

  private leaveQueue(): void {
    const { id, gen } = this.session;
    this.deps.chats.publish({ t: 'cancel', sid: id, gen }).catch((error: Error) => this.redisFailed(error, 'cancel'));
  }

  /** Leaves the current chat locally at once; the Redis side follows in order. */
  protected endChat(reason: LeftReason): ChatLink {
    const chat = this.session.chat!;
    this.recordEnded(chat, reason);
    this.session.chat = undefined;
    this.session.state = 'idle';
    this.deps.chats.end(this.session.id, chat, reason).catch((error: Error) => this.redisFailed(error, 'end chat'));
    return chat;
  }

  /** Kept for `rematch` (a new ended chat replaces the last one). */
  protected recordEnded(chat: ChatLink, reason: LeftReason): void {
    this.session.ended = { chat: chat.id, partner: chat.partner, partnerGateway: chat.partnerGateway, reason, endedAt: Date.now() };
  }

  // ---- helpers ----

  /** An error frame; `id` is the answered frame's, echoed (PROTOCOL.md §1). */
  protected sendError(code: ErrorCode, message: string, id?: string): void {
    this.send(id === undefined ? { type: 'error', code, message } : { type: 'error', code, message, id });
  }

  protected persist(): void {
    this.deps.store.save(this.session, !this.attached).catch((error: Error) => this.redisFailed(error, 'save session'));
  }

  protected redisFailed(error: Error, what: string): void {
    this.log.warn({ err: error.message }, `${what} failed`);
  }
}
