import type { RawData, WebSocket } from 'ws';
import { CloseCode, ErrorCode, encodeServerFrame, type ClientFrameDecoder, type ServerFrame } from '@strangers/protocol';
import { refuseBinary, sendOrCut } from '../edge/socket-send.js';
import { TokenBucket } from '../edge/token-bucket.js';
import { metrics } from '../metrics.js';
import type { Session } from './session.js';
import { SessionMachine, type SessionMachineDeps } from './session-machine.js';

/** The gateway settings every `/ws` connection needs (ChatServiceSettings adds the service's own). */
export interface ChatConnectionSettings {
  gatewayId: string;
  resumeGraceMs: number;
  /** The grace after a clean close (1000/1001: a tab closed or navigated away). */
  resumeGraceCleanMs: number;
  /** Per-connection token buckets: every frame but typing, and typing. */
  chatRate: { perSecond: number; burst: number };
  typingRate: { perSecond: number; burst: number };
  /** Consecutive rate-limited frames that close the connection with 1008. */
  rateLimitCloseAfter: number;
  /** Unsent bytes past which a client counts as not reading and is cut. */
  maxBufferedBytes: number;
}

export interface ChatConnectionDeps extends ChatConnectionSettings, SessionMachineDeps {
  decoder: ClientFrameDecoder;
}

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
  /** Rate-limited frames in a row; a client that keeps going after `rate_limited` is cut. */
  private limitedInARow = 0;

  constructor(
    session: Session,
    protected override readonly deps: ChatConnectionDeps,
  ) {
    super(session, deps);
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

  /** Lets go of the socket without ending the session (drain, handoff, takeover). */
  detachSocket(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = undefined;
    this.stopGrace();
    socket?.close(code, reason);
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
    if (socket !== this.socket) return; // a socket we already let go of
    if (refuseBinary(socket, isBinary)) return;
    const decoded = this.deps.decoder.decode(data.toString());
    const id = decoded.ok ? ('id' in decoded.frame ? decoded.frame.id : undefined) : decoded.id;
    if (!this.takeToken(socket, decoded.ok && decoded.frame.type === 'typing', id)) return;
    if (!decoded.ok) {
      this.sendError(decoded.code, decoded.message, id);
      return;
    }
    this.onFrame(decoded.frame);
  }

  /**
   * Every frame, even an invalid one, costs a token: answering garbage costs us too.
   * Typing has its own bucket and is dropped silently when over it (clients send it per
   * keystroke); anything else gets `rate_limited`. Either way the frame has no effect.
   */
  private takeToken(socket: WebSocket, typing: boolean, id: string | undefined): boolean {
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
    if (!typing) this.sendError(ErrorCode.rateLimited, 'too many messages; slow down', id);
    return false;
  }
}
