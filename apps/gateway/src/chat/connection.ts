import type { RawData, WebSocket } from 'ws';
import { CloseCode, ErrorCode, encodeServerFrame, type ClientFrameDecoder, type LeftReason, type ServerFrame } from '@strangers/protocol';
import type { InboxEntry, PairedEntry } from '@strangers/redis';
import { refuseBinary, sendOrCut } from '../edge/socket-send.js';
import { TokenBucket } from '../edge/token-bucket.js';
import type { CallSignals } from '../media/call-signals.js';
import type { ReportLimit } from '../edge/report-limit.js';
import { metrics } from '../metrics.js';
import type { GatewaySafety } from '../safety/gateway-safety.js';
import type { SessionGuard } from '../safety/session-guard.js';
import type { GatewayMatchingSettings } from '../preferences/matching-settings.js';
import type { Session } from './session.js';
import { SessionMachine, type ResumePlan, type SessionMachineDeps } from './session-machine.js';

/**
 * How a resume on a connection ended: attached; the socket had closed meanwhile (the session
 * stays detached, its grace running); the token had died ('unknown'); or the session left this
 * gateway meanwhile (`gone`: the socket is to be closed with that code).
 */
export type ResumeOutcome = 'resumed' | 'socket closed' | 'unknown' | { gone: { code: number; reason: string } };

/** The gateway settings every `/ws` connection needs (ChatServiceSettings adds the service's own). */
export interface ChatConnectionSettings {
  gatewayId: string;
  resumeGraceMs: number;
  /** The grace after a clean close (1000/1001: a tab closed or navigated away). */
  resumeGraceCleanMs: number;
  /** Per-connection token buckets: every frame but typing, and typing. */
  chatRate: { perSecond: number; burst: number };
  typingRate: { perSecond: number; burst: number };
  /** Audio/video calls (media/call-signals.ts), shared by every connection. */
  calls?: CallSignals | undefined;
  /** `signal` frames (audio/video calls): a bucket of their own, so ICE trickling never eats the messages' allowance. */
  signalRate: { perSecond: number; burst: number };
  /** Consecutive rate-limited frames that close the connection with 1008. */
  rateLimitCloseAfter: number;
  /** Unsent bytes past which a client counts as not reading and is cut. */
  maxBufferedBytes: number;
  /** Proof of work, filters, moderation hook, abuse signals (undefined in tests of the bare machine). */
  safety?: GatewaySafety;
  /** Reports per client address (by its hash), shared by every session of this gateway. */
  reportLimit: ReportLimit;
  matching: GatewayMatchingSettings;
}

export interface ChatConnectionDeps extends ChatConnectionSettings, SessionMachineDeps {
  decoder: ClientFrameDecoder;
}

/** How long a socket cut with 1008 may take to answer the close frame before it is dropped. */
const CUT_CLOSE_WAIT_MS = 1000;

/** RFC 6455 close codes a client sends when it leaves on purpose. */
const CLEAN_CLOSE = 1000;
const GOING_AWAY = 1001;

/** The connection a socket belongs to, so one set of module-level listeners serves every socket. */
const kConnection = Symbol('chat-connection');
type OwnedSocket = WebSocket & { [kConnection]?: ChatConnection };

// Named module-level listeners (as in `ws` itself) rather than closures per socket: stack
// traces read better and a closure and its scope per socket and event cost memory.
function socketOnMessage(this: OwnedSocket, data: RawData, isBinary: boolean): void {
  this[kConnection]?.onSocketMessage(this, data, isBinary);
}
function socketOnClose(this: OwnedSocket, code: number): void {
  this[kConnection]?.onSocketClose(this, code);
}
function socketOnError(this: OwnedSocket, error: Error): void {
  this[kConnection]?.logSocketError(error);
}

/**
 * One `/ws` session on this gateway and, while connected, its socket: owns the socket,
 * refuses binary frames, decodes client frames, applies the per-session rate limits, and
 * hands each frame to the session's state machine (session-machine.ts, the base class).
 * Sends go through the edge's one send-or-cut.
 */
export class ChatConnection extends SessionMachine {
  private socket: WebSocket | undefined;
  /**
   * Rate limits belong to the session, so reconnecting does not refill them. Made on the
   * first frame of their kind (a new bucket is full anyway): most sessions sit idle.
   */
  private frameBucket: TokenBucket | undefined;
  private typingBucket: TokenBucket | undefined;
  private signalBucket: TokenBucket | undefined;
  /** Rate-limited frames in a row; a client that keeps going after `rate_limited` is cut. */
  private limitedInARow = 0;
  /** Abuse prevention between decoded frames and the machine; undefined when every layer is off. */
  private readonly guard: SessionGuard | undefined;
  /** The resumes of this session, one after another (made on the first). */
  private resumeChain: Promise<void> | undefined;
  /** A socket being closed for flooding (`cutForAbuse`): nothing it sends is read any more. */
  private cutSocket: WebSocket | undefined;
  /** Set once the session has left this gateway without ending (see `letGo`). */
  private gone: { code: number; reason: string } | undefined;

  constructor(
    session: Session,
    protected override readonly deps: ChatConnectionDeps,
  ) {
    super(session, deps);
    const self = this;
    this.guard = deps.safety?.guard({ session, runFrame: (frame) => this.onFrame(frame), send: (frame) => this.send(frame), get log() { return self.log; } });
  }

  override welcome(): void {
    if (this.guard) this.guard.welcome((challenge) => super.welcome(challenge));
    else super.welcome();
  }

  override finish(reason: LeftReason): void {
    super.finish(reason);
    this.guard?.forget();
  }

  override onPaired(entry: PairedEntry): void {
    super.onPaired(entry);
    if (this.session.chat?.id === entry.chat) this.guard?.onPaired();
  }

  override onInbox(entry: InboxEntry): void {
    if (entry.t === 'left' && entry.reason === 'reported' && entry.chat === this.session.chat?.id) this.guard?.onReported();
    super.onInbox(entry);
  }

  get attached(): boolean {
    return this.socket !== undefined;
  }

  attach(socket: WebSocket): void {
    this.stopGrace();
    this.socket = socket;
    (socket as OwnedSocket)[kConnection] = this;
    socket.on('message', socketOnMessage);
    socket.on('close', socketOnClose);
    socket.on('error', socketOnError);
  }

  /**
   * The session leaves this gateway without ending (handed over, drained, expired while we
   * were cut off): the socket is closed with `code`, the grace stops, and a resume still
   * under way here closes its socket the same way instead of attaching it.
   */
  letGo(code: number, reason: string): void {
    this.gone = { code, reason };
    const socket = this.socket;
    this.socket = undefined;
    this.stopGrace();
    socket?.close(code, reason);
  }

  /** A handoff could not be stored after `letGo`: the session is ours again, detached, its grace running. */
  takeBack(): void {
    this.gone = undefined;
    this.startGrace();
  }

  /** Held here detached (just handed to us or claimed): the grace runs until a socket is attached. */
  holdDetached(): void {
    if (!this.socket) this.startGrace();
  }

  /**
   * Resumes the session on `socket` (its client presented `token`): one resume at a time per
   * session, in arrival order. The chat is moved and the next token stored first; the socket
   * is attached only after that succeeded and only if it is still open, so a socket that
   * closed meanwhile leaves an ordinary detached session with its grace running. An older
   * socket of the same session is closed with 4001. Throws if a Redis write failed (the
   * session stays detached, resumable again with the same token).
   */
  resumeOn(socket: WebSocket, lastSeq: number, token: string): Promise<ResumeOutcome> {
    const run = (this.resumeChain ?? Promise.resolve()).then(() => this.resumeNow(socket, lastSeq, token));
    this.resumeChain = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async resumeNow(socket: WebSocket, lastSeq: number, token: string): Promise<ResumeOutcome> {
    if (this.finished) return 'unknown';
    if (this.gone) return { gone: this.gone };
    if (!this.session.acceptsToken(token)) return 'unknown'; // another resume used the next token meanwhile
    if (this.socket) {
      const old = this.socket;
      this.socket = undefined;
      old.close(CloseCode.sessionTakenOver, 'session resumed on another connection');
      this.startGrace();
    }
    let plan: ResumePlan;
    try {
      plan = await this.prepareResume(lastSeq, token);
    } catch (error) {
      this.abandonResume();
      throw error;
    }
    if (this.finished || this.gone || socket.readyState !== socket.OPEN) {
      this.abandonResume();
      return this.finished ? 'unknown' : this.gone ? { gone: this.gone } : 'socket closed';
    }
    this.attach(socket);
    this.completeResume(plan);
    return 'resumed';
  }

  send(frame: ServerFrame): void {
    const socket = this.socket;
    if (!socket) return;
    // Its session enters the resume grace like any drop (the cut fires `close`).
    if (sendOrCut(socket, encodeServerFrame(frame), this.deps.maxBufferedBytes) === 'cut') {
      this.log.info({ buffered: socket.bufferedAmount }, 'client not reading; connection cut');
      metrics.connectionsCut.inc({ reason: 'backpressure' });
    }
  }

  /** @internal the socket's `error` listener. */
  logSocketError(error: Error): void {
    this.log.debug({ err: error.message }, 'socket error');
  }

  /**
   * @internal the socket's `close` listener. A clean close by the client (1000, 1001: what a
   * browser sends when a tab closes or navigates) gets the short grace: a reload still resumes,
   * and the partner is told within seconds (PROTOCOL.md §1 "Resume").
   */
  onSocketClose(socket: WebSocket, code: number): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    const clean = code === CLEAN_CLOSE || code === GOING_AWAY;
    this.startGrace(clean ? this.deps.resumeGraceCleanMs : this.deps.resumeGraceMs);
  }

  /** @internal the socket's `message` listener. */
  onSocketMessage(socket: WebSocket, data: RawData, isBinary: boolean): void {
    if (socket !== this.socket || socket === this.cutSocket) return; // a socket we let go of, or cut
    if (refuseBinary(socket, isBinary)) return;
    const decoded = this.deps.decoder.decode(data.toString());
    const id = decoded.ok ? ('id' in decoded.frame ? decoded.frame.id : undefined) : decoded.id;
    if (!this.takeToken(socket, decoded.ok ? decoded.frame.type : undefined, id)) return;
    if (!decoded.ok) {
      this.sendError(decoded.code, decoded.message, id);
      return;
    }
    // Each report blocks a pair for a day and counts towards flagging its target: one client
    // address gets a few per window, and a refused one has no effect at all.
    if (decoded.frame.type === 'report' && !this.deps.reportLimit.take(this.session.ipHash)) {
      metrics.rateLimitHits.inc({ surface: 'report' });
      this.sendError(ErrorCode.rateLimited, 'too many reports; try again later');
      return;
    }
    if (this.guard) this.guard.onFrame(decoded.frame);
    else this.onFrame(decoded.frame);
  }

  /**
   * Sustained flooding after `rate_limited`: nothing more is read from the socket (paused, and
   * anything already read is ignored), the answers to messages already sent to Redis go out
   * (an ack for every stored message), then it is closed with 1008. A peer that ignores the
   * close frame is dropped shortly after; either way the session enters its grace.
   */
  private cutForAbuse(socket: WebSocket): void {
    this.cutSocket = socket;
    socket.pause();
    this.log.info({ limited: this.limitedInARow }, 'sustained flooding; connection closed');
    metrics.connectionsCut.inc({ reason: 'abuse' });
    void this.sendsSettled().then(() => {
      socket.close(CloseCode.policyViolation, 'too many messages');
      setTimeout(() => socket.terminate(), CUT_CLOSE_WAIT_MS).unref();
    });
  }

  /**
   * Every frame, even an invalid one, costs a token: answering garbage costs us too.
   * Typing has its own bucket and is dropped silently when over it (clients send it per
   * keystroke); anything else gets `rate_limited`. Either way the frame has no effect.
   */
  private takeToken(socket: WebSocket, type: string | undefined, id: string | undefined): boolean {
    const { chatRate, typingRate, signalRate } = this.deps;
    const typing = type === 'typing';
    const bucket = typing
      ? (this.typingBucket ??= new TokenBucket(typingRate.perSecond, typingRate.burst))
      : type === 'signal'
        ? (this.signalBucket ??= new TokenBucket(signalRate.perSecond, signalRate.burst))
        : (this.frameBucket ??= new TokenBucket(chatRate.perSecond, chatRate.burst));
    if (bucket.take()) {
      this.limitedInARow = 0;
      return true;
    }
    metrics.rateLimitHits.inc({ surface: 'chat' });
    if (++this.limitedInARow >= this.deps.rateLimitCloseAfter) {
      this.cutForAbuse(socket);
      return false;
    }
    if (!typing) this.sendError(ErrorCode.rateLimited, type === 'signal' ? 'too many signals; slow down' : 'too many messages; slow down', id);
    return false;
  }
}
