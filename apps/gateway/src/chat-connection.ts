import type { WebSocket, RawData } from 'ws';
import type { Logger } from '@strangers/config';
import {
  CloseCode,
  ErrorCode,
  encodeServerFrame,
  type ClientFrame,
  type ClientFrameDecoder,
  type LeftReason,
  type ServerFrame,
} from '@strangers/protocol';
import type { InboxEntry, PairedEntry } from '@strangers/redis';
import type { ChatRelay } from './chat-relay.js';
import { messageDelivered, metrics } from './metrics.js';
import type { SessionStore } from './session-store.js';
import type { ChatLink, Session } from './session.js';
import { TokenBucket } from './token-bucket.js';

/** The gateway settings every `/ws` connection needs (ChatServiceSettings adds the service's own). */
export interface ChatConnectionSettings {
  gatewayId: string;
  resumeGraceMs: number;
  /** Per-connection token buckets: every frame but typing, and typing. */
  chatRate: { perSecond: number; burst: number };
  typingRate: { perSecond: number; burst: number };
  /** Consecutive rate-limited frames that close the connection with 1008. */
  rateLimitCloseAfter: number;
  /** Unsent bytes past which a client counts as not reading and is cut. */
  maxBufferedBytes: number;
}

export interface ChatConnectionDeps extends ChatConnectionSettings {
  relay: ChatRelay;
  store: SessionStore;
  decoder: ClientFrameDecoder;
  online(): number;
  logger: Logger;
  /** The session is over (left for good, or handed to another gateway): forget it. */
  onFinished(connection: ChatConnection): void;
}

const FRAME_VALID_IN: Record<ClientFrame['type'], readonly Session['state'][]> = {
  join: ['idle'],
  message: ['paired'],
  typing: ['paired'],
  next: ['waiting', 'paired'],
  leave: ['idle', 'waiting', 'paired'],
  report: ['paired'],
};

/** The connection a socket belongs to, so one set of module-level listeners serves every socket. */
const kConnection = Symbol('chat-connection');
type OwnedSocket = WebSocket & { [kConnection]?: ChatConnection };

// Named module-level listeners (as in `ws` itself) rather than closures per socket: stack
// traces read better and a closure and its scope per socket and event cost memory.
function socketOnMessage(this: OwnedSocket, data: RawData, isBinary: boolean): void {
  this[kConnection]?.onSocketMessage(this, data, isBinary);
}
function socketOnClose(this: OwnedSocket): void {
  this[kConnection]?.onSocketClose(this);
}
function socketOnError(this: OwnedSocket, error: Error): void {
  this[kConnection]?.logSocketError(error);
}

/**
 * One `/ws` session on this gateway and, while connected, its socket: decodes client
 * frames, runs the session's state machine, and turns inbox entries into frames.
 *
 * The session outlives its socket by the resume grace: a dropped connection detaches the
 * socket and starts a timer; the session keeps following its chat (state only) until the
 * client resumes here or elsewhere, or the timer ends it with `disconnected`.
 *
 * State changes happen synchronously before any Redis call is awaited, so the frames a
 * client sends back to back see each other's effect and their Redis writes go out in order.
 */
export class ChatConnection {
  private socket: WebSocket | undefined;
  private graceTimer: NodeJS.Timeout | undefined;
  /** Set while a resume replays history: live partner messages wait here, in order. */
  private replayBuffer: InboxEntry[] | undefined;
  /** Created on first use: most sessions never log, and a pino child per socket costs memory. */
  private childLogger: Logger | undefined;
  /**
   * Rate limits belong to the session, so reconnecting does not refill them. Made on the
   * first frame of their kind (a new bucket is full anyway): most sessions sit idle.
   */
  private frameBucket: TokenBucket | undefined;
  private typingBucket: TokenBucket | undefined;
  /** Rate-limited frames in a row; a client that keeps going after `rate_limited` is cut. */
  private limitedInARow = 0;

  constructor(
    readonly session: Session,
    private readonly deps: ChatConnectionDeps,
  ) {}

  private get log(): Logger {
    return (this.childLogger ??= this.deps.logger.child({ session: this.session.id }));
  }

  get attached(): boolean {
    return this.socket !== undefined;
  }

  attach(socket: WebSocket): void {
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    this.socket = socket;
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('message', socketOnMessage);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
  }

  /** @internal the socket's `error` listener. */
  logSocketError(error: Error): void {
    this.log.debug({ err: error.message }, 'socket error');
  }

  /** Lets go of the socket without ending the session (drain, handoff, takeover). */
  detachSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    clearTimeout(this.graceTimer);
    this.graceTimer = undefined;
    socket?.close(code, reason);
  }

  welcome(): void {
    this.send({ type: 'welcome', session: this.session.id, resumeToken: this.session.resumeToken, online: this.deps.online() });
  }

  send(frame: ServerFrame): void {
    const socket = this.socket;
    if (!socket || socket.readyState !== socket.OPEN) return;
    // A client that does not read would make us buffer for it without bound. Cutting it
    // costs nobody else anything; its session enters the resume grace like any drop.
    if (socket.bufferedAmount > this.deps.maxBufferedBytes) {
      this.log.info({ buffered: socket.bufferedAmount }, 'client not reading; connection cut');
      metrics.connectionsCut.inc({ reason: 'backpressure' });
      socket.terminate();
      return;
    }
    socket.send(encodeServerFrame(frame));
  }

  private sendError(code: ErrorCode, message: string): void {
    this.send({ type: 'error', code, message });
  }

  private persist(): void {
    this.deps.store.save(this.session, !this.attached).catch((error: Error) => this.redisFailed(error, 'save session'));
  }

  /** @internal the socket's `message` listener. */
  onSocketMessage(socket: WebSocket, data: RawData, isBinary: boolean): void {
    if (socket !== this.socket) return; // a socket we already let go of
    if (isBinary) {
      socket.close(CloseCode.unsupportedData, 'binary frames are not supported');
      return;
    }
    const decoded = this.deps.decoder.decode(data.toString());
    if (!this.takeToken(socket, decoded.ok && decoded.frame.type === 'typing')) return;
    if (!decoded.ok) {
      this.sendError(decoded.code, decoded.message);
      return;
    }
    const frame = decoded.frame;
    if (!FRAME_VALID_IN[frame.type].includes(this.session.state)) {
      this.sendError(ErrorCode.invalidState, `"${frame.type}" is not valid while ${this.session.state}`);
      return;
    }
    switch (frame.type) {
      case 'join':
        this.session.interests = frame.interests ?? [];
        this.session.requeue = frame.requeue ?? true;
        this.enterQueue();
        return;
      case 'message':
        this.sendMessage(frame.text, frame.id);
        return;
      case 'typing':
        this.deps.relay.typing(this.session.chat!, frame.typing).catch((error: Error) => this.redisFailed(error, 'typing'));
        return;
      case 'next':
        if (this.session.state === 'paired') {
          const chat = this.endChat('next');
          this.enterQueue(chat.partner, false);
        } else {
          // Already searching: keep the place in the queue.
          this.send({ type: 'waiting', online: this.deps.online() });
        }
        return;
      case 'report': {
        const chat = this.endChat('reported');
        this.enterQueue(chat.partner, true);
        return;
      }
      case 'leave':
        this.leaveEverything('left');
        this.persist();
        return;
    }
  }

  /**
   * Every frame, even an invalid one, costs a token: answering garbage costs us too.
   * Typing has its own bucket and is dropped silently when over it (clients send it per
   * keystroke); anything else gets `rate_limited`. Either way the frame has no effect.
   */
  private takeToken(socket: WebSocket, typing: boolean): boolean {
    const { chatRate, typingRate } = this.deps;
    const bucket = typing
      ? (this.typingBucket ??= new TokenBucket(typingRate.perSecond, typingRate.burst))
      : (this.frameBucket ??= new TokenBucket(chatRate.perSecond, chatRate.burst));
    if (bucket.take()) {
      this.limitedInARow = 0;
      return true;
    }
    metrics.rateLimitHits.inc({ surface: 'chat' });
    if (++this.limitedInARow >= this.deps.rateLimitCloseAfter) {
      this.log.info({ limited: this.limitedInARow }, 'sustained flooding; connection closed');
      metrics.connectionsCut.inc({ reason: 'abuse' });
      socket.close(CloseCode.policyViolation, 'too many messages');
      return false;
    }
    if (!typing) this.sendError(ErrorCode.rateLimited, 'too many messages; slow down');
    return false;
  }

  /** @internal the socket's `close` listener. */
  onSocketClose(socket: WebSocket): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.persist();
    // The client may resume here or on any gateway within the grace.
    this.graceTimer = setTimeout(() => this.finish('disconnected'), this.deps.resumeGraceMs);
    this.graceTimer.unref();
  }

  /** Ends the session for good: its chat or queue place is released and its record deleted. */
  finish(reason: LeftReason): void {
    clearTimeout(this.graceTimer);
    this.leaveEverything(reason);
    this.deps.store.remove(this.session).catch((error: Error) => this.redisFailed(error, 'remove session'));
    this.deps.onFinished(this);
  }

  private leaveEverything(reason: LeftReason): void {
    if (this.session.state === 'paired') this.endChat(reason);
    else if (this.session.state === 'waiting') this.leaveQueue();
    this.session.state = 'idle';
  }

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
    else void saved.then(publish, publish);
  }

  /**
   * Tells the matcher about the current join. Re-sent with the same `gen` after a resume on
   * another gateway: the matcher then keeps the queue place and routes the pair here.
   */
  publishJoin(avoid?: string, block = false): Promise<void> {
    const session = this.session;
    return this.deps.relay.publish({
      t: 'join',
      sid: session.id,
      gw: this.deps.gatewayId,
      gen: session.gen,
      interests: session.interests,
      ipHash: session.ipHash,
      avoid,
      block,
    });
  }

  private leaveQueue(): void {
    const { id, gen } = this.session;
    this.deps.relay.publish({ t: 'cancel', sid: id, gen }).catch((error: Error) => this.redisFailed(error, 'cancel'));
  }

  /** Leaves the current chat locally at once; the Redis side follows in order. */
  private endChat(reason: LeftReason): ChatLink {
    const chat = this.session.chat!;
    this.session.chat = undefined;
    this.session.state = 'idle';
    this.deps.relay.end(this.session.id, chat, reason).catch((error: Error) => this.redisFailed(error, 'end chat'));
    return chat;
  }

  private sendMessage(text: string, id: string | undefined): void {
    const chat = this.session.chat!;
    this.deps.relay.send(this.session.id, chat, text, Date.now()).then(
      (result) => {
        if (result.stored) this.send(id === undefined ? { type: 'ack', seq: result.seq } : { type: 'ack', id, seq: result.seq });
        else this.sendError(ErrorCode.invalidState, 'the chat has ended');
      },
      (error: Error) => {
        this.log.warn({ err: error.message }, 'message not stored');
        this.sendError(ErrorCode.unavailable, 'message not sent: service temporarily unavailable');
      },
    );
  }

  private redisFailed(error: Error, what: string): void {
    this.log.warn({ err: error.message }, `${what} failed`);
  }

  /** A pair assignment from the matcher for this session. */
  onPaired(entry: PairedEntry): void {
    const session = this.session;
    if (session.state !== 'waiting' || session.gen !== entry.gen) {
      if (session.chat?.id === entry.chat) return; // the same assignment again (re-sent after a move)
      // Stale: the client left or re-joined after the matcher paired it. End that chat so
      // the partner is told at once and goes back into the queue.
      this.log.debug({ chat: entry.chat }, 'stale pair assignment ended');
      const stale = { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: [], lastDeliveredSeq: 0 };
      this.deps.relay.end(session.id, stale, 'left').catch((error: Error) => this.redisFailed(error, 'end stale chat'));
      return;
    }
    session.state = 'paired';
    session.missedLeft = undefined;
    session.chat = { id: entry.chat, partner: entry.partner, partnerGateway: entry.pgw, interests: entry.interests, lastDeliveredSeq: 0 };
    this.persist();
    this.send({ type: 'paired', chat: entry.chat, interests: entry.interests });
  }

  /** A partner message, typing flag or departure, routed here by session id. */
  onInbox(entry: InboxEntry): void {
    const chat = this.session.chat;
    if (!chat || chat.id !== entry.chat) return; // from a chat this session has already left
    if (this.replayBuffer && entry.t !== 'typing') {
      this.replayBuffer.push(entry);
      return;
    }
    switch (entry.t) {
      case 'msg':
        // While detached, leave it in the chat history for the resume to replay.
        if (!this.attached || entry.seq <= chat.lastDeliveredSeq) return;
        chat.lastDeliveredSeq = entry.seq;
        this.send({ type: 'message', text: entry.text, seq: entry.seq, ts: entry.ts });
        messageDelivered(entry.ts);
        return;
      case 'typing':
        this.send({ type: 'typing', typing: entry.typing });
        return;
      case 'left':
        this.onPartnerLeft(entry.reason, entry.by);
        return;
    }
  }

  private onPartnerLeft(reason: LeftReason, partner: string): void {
    this.session.chat = undefined;
    this.session.state = 'idle';
    if (reason === 'reported') {
      this.deps.relay
        .publish({ t: 'reported', sid: this.session.id, ipHash: this.session.ipHash })
        .catch((error: Error) => this.redisFailed(error, 'report count'));
    }
    if (!this.attached) {
      // Told after the resume; an absent client is not put back into the queue.
      this.session.missedLeft = reason;
      this.persist();
      return;
    }
    this.send({ type: 'partner_left', reason });
    if (this.session.requeue) this.enterQueue(partner, reason === 'reported');
    else this.persist();
  }

  /**
   * Completes a resume on this gateway: `resumed`, then the partner messages the client
   * missed (after `lastSeq`), then live traffic, in that order.
   */
  async resume(lastSeq: number): Promise<void> {
    metrics.resumes.inc();
    const session = this.session;
    const chat = session.chat;
    if (session.state === 'paired' && chat) {
      this.replayBuffer = [];
      chat.lastDeliveredSeq = lastSeq;
      let missed: { seq: number; ts: number; text: string }[] = [];
      let ended: string | undefined;
      try {
        const moved = await this.deps.relay.move(session.id, chat, lastSeq);
        if (moved.ended) ended = moved.ended;
        else missed = moved.missed;
      } finally {
        const buffered = this.replayBuffer;
        this.replayBuffer = undefined;
        this.send({ type: 'resumed', state: ended ? 'idle' : 'paired', chat: chat.id });
        for (const message of missed) this.onInbox({ t: 'msg', to: session.id, chat: chat.id, seq: message.seq, text: message.text, ts: message.ts });
        for (const entry of buffered ?? []) this.onInbox(entry);
      }
      if (ended) this.onPartnerLeft(ended as LeftReason, chat.partner);
      return;
    }
    this.send(session.state === 'paired' ? { type: 'resumed', state: 'idle' } : { type: 'resumed', state: session.state });
    if (session.state === 'waiting') await this.publishJoin();
    if (session.missedLeft) {
      const reason = session.missedLeft;
      session.missedLeft = undefined;
      this.send({ type: 'partner_left', reason });
      if (session.requeue) this.enterQueue();
    }
    this.persist();
  }
}
