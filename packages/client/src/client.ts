import { CloseCode, closeAdvice, ErrorCode, type ClientFrame, type SessionState } from '@strangers/protocol';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { StrangerClientError } from './errors.js';
import { refused, stopCause } from './refusals.js';
import { joinFrame } from './join-frame.js';
import { PendingSends } from './pending-sends.js';
import { ProofGate, type GatedFrame } from './proof-gate.js';
import { SessionView } from './session-view.js';
import { globalWebSocket, resumeUrl, type WebSocketConstructor } from './socket.js';
import { Transport } from './transport.js';
import type {
  BanStatement,
  ConnectionStatus,
  ConnectOptions,
  ConnectResult,
  JoinOptions,
  NextOptions,
  ReportOptions,
  StrangerClientEvents,
  StrangerClientOptions,
} from './types.js';

/**
 * A client of the `/ws` protocol: one session, its chat, and automatic resume.
 *
 * When the socket drops, the client follows the close code's advice (PROTOCOL.md "Answers
 * at the edge"): for a transient drop it reconnects with exponential backoff and jitter to
 * `url?resume=<token>&last=<seq>`, where `seq` is the highest partner message seen in the
 * current chat, so the server replays only what was missed (replays at or below it are
 * dropped here too); for 4001 (taken over), 4003 (banned) and the other "stop" codes it
 * emits `stopped` and `closed` and never reconnects. Sends not yet acknowledged when the
 * socket dropped are rejected with `connection_lost`.
 *
 * Every chat-scoped frame (message, typing, next, report) carries the chat it was written
 * for, so the server never delivers it into a chat this client has not seen.
 *
 * Errors: every method that talks to the server returns a promise and never throws;
 * refusals are `StrangerClientError` rejections (see its docs).
 */
export class StrangerClient extends TypedEmitter<StrangerClientEvents> {
  status: ConnectionStatus = 'disconnected';
  state: SessionState = 'idle';
  session: string | undefined;
  chat: string | undefined;
  /** Shared interests of the current chat (empty after a resume into a chat paired while away). */
  interests: string[] = [];
  online = 0;
  /** Highest partner `seq` seen in the current chat. */
  lastSeq = 0;
  /** The latest `banned` statement from the server, if one came. */
  ban: BanStatement | undefined;
  /** The chat that ended last (by `next`, `leave`, `report` or `partner_left`): what `rematch()` takes. */
  previousChat: string | undefined;

  private readonly WebSocketClass: WebSocketConstructor | undefined;
  private readonly backoff: Required<BackoffOptions>;
  private readonly transport: Transport;
  private readonly pending = new PendingSends();
  /** What the server's frames do to the session (session-view.ts). */
  private readonly view: SessionView;
  private attempt = 0;
  private droppedAt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectWaiter: { resolve(result: ConnectResult): void; reject(error: Error): void } | undefined;
  private readonly gate: ProofGate;
  private joining = false;

  constructor(private readonly options: StrangerClientOptions) {
    super();
    this.gate = new ProofGate(options.solveProof?.bind(options), {
      isOpen: () => this.isOpen(),
      write: (frame) => this.writeFrame(frame),
      onFailure: (error) => this.emit('proof_failed', { message: error.message }),
    });
    this.view = new SessionView(this, {
      emit: (event, payload) => this.emit(event, payload),
      gate: this.gate,
      pending: this.pending,
      opened: () => this.opened(),
      settleConnect: (result) => this.settleConnect(result),
    });
    // A missing WebSocket is reported by connect()'s promise, like every other refusal.
    this.WebSocketClass = options.WebSocket ?? globalWebSocket();
    this.transport = new Transport(this.WebSocketClass, {
      frame: (frame) => this.view.onFrame(frame),
      unreadable: () => this.emit('error', { code: ErrorCode.invalidMessage, message: 'the server sent a frame this client does not understand', id: undefined }),
      closed: (code, reason) => this.onSocketClose(code, reason),
    });
    this.backoff = { ...defaultBackoff, ...options.backoff };
  }

  /** The token that resumes this session (it changes: follow `resume_token` to persist it). */
  get resumeToken(): string | undefined {
    return this.view.token;
  }

  /**
   * Opens the connection: a new session, or `options.resume` to pick up a saved one.
   * Resolves on the server's `welcome` (also when a saved session was gone) or `resumed`;
   * rejects if this first connection fails.
   */
  connect(options: ConnectOptions = {}): Promise<ConnectResult> {
    if (!this.WebSocketClass) return refused('not_connected', 'no global WebSocket: pass the `WebSocket` option (e.g. the `ws` package)');
    if (this.status !== 'disconnected' && this.status !== 'closed') return refused('invalid_state', `already ${this.status}`);
    const saved = options.resume;
    if (saved !== undefined && (typeof saved.token !== 'string' || saved.token.length === 0)) {
      return refused('invalid_argument', 'resume.token must be a non-empty string');
    }
    // Never resume a session that `close()` ended unless asked to.
    this.view.token = saved?.token;
    this.lastSeq = saved?.last ?? 0;
    this.chat = saved?.chat;
    this.ban = undefined;
    return new Promise((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      this.status = 'connecting';
      this.attempt = 0;
      this.openSocket();
    });
  }

  /**
   * Enters the queue; resolves once the frame is sent (`waiting`, then `paired`, follow as
   * events). With a challenge due and the `solveProof` option, first waits for its proof.
   */
  join(options: JoinOptions = {}): Promise<void> {
    const frame = joinFrame(options);
    if (frame instanceof StrangerClientError) return Promise.reject(frame);
    if (this.state !== 'idle' || this.joining) return refused('invalid_state', `cannot join while ${this.joining ? 'joining' : this.state}`);
    if (!this.isOpen()) return refused('not_connected', 'cannot send "join": not connected');
    this.joining = true;
    return this.gate.send(frame as GatedFrame).finally(() => {
      this.joining = false;
    });
  }

  /** Sends a message; resolves with its `seq` once the server has stored it (its `ack`). */
  send(text: string): Promise<{ seq: number }> {
    if (typeof text !== 'string' || text.length === 0) return refused('invalid_text', 'text must be a non-empty string');
    if (!this.isOpen()) return refused('not_connected', 'not connected');
    if (this.state !== 'paired' || this.chat === undefined) return refused('not_paired', 'no partner to send to');
    const { id, acked } = this.pending.add();
    this.writeFrame({ type: 'message', text, id, chat: this.chat });
    return acked;
  }

  /** Best effort: resolves without sending when not paired or not connected. */
  typing(typing: boolean): Promise<void> {
    if (typeof typing !== 'boolean') return refused('invalid_argument', 'typing must be a boolean');
    if (this.isOpen() && this.state === 'paired' && this.chat !== undefined) this.writeFrame({ type: 'typing', typing, chat: this.chat });
    return Promise.resolve();
  }

  /**
   * Sends a WebRTC description or ICE candidate (`RTCSessionDescription.toJSON()`,
   * `RTCIceCandidate.toJSON()`) to the partner of an audio/video chat. Best effort, like
   * typing: never stored, and dropped while the partner is reconnecting; every resume is
   * followed by an `ice` event, on which the `offer` side restarts ICE (docs/video.md).
   */
  signal(data: Record<string, unknown>): Promise<void> {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return refused('invalid_argument', 'data must be a description or candidate object');
    if (this.state !== 'paired' || this.chat === undefined) return refused('not_paired', 'no partner to signal');
    return this.sendFrame({ type: 'signal', chat: this.chat, data });
  }

  /** Asks for fresh ICE servers for the current audio/video chat (after a network change); they come as an `ice` event. */
  requestIce(): Promise<void> {
    if (this.state !== 'paired') return refused('not_paired', 'not in a chat');
    return this.sendFrame({ type: 'ice' });
  }

  /** Ends the chat (or keeps searching) and looks for someone else (after its proof, like `join`). */
  next(options: NextOptions = {}): Promise<void> {
    const { proof } = options;
    if (proof !== undefined && (typeof proof !== 'string' || proof.length === 0)) return refused('invalid_argument', 'proof must be a non-empty string');
    if (this.state === 'idle') return refused('invalid_state', 'not in a chat or the queue');
    if (!this.isOpen()) return refused('not_connected', 'cannot send "next": not connected');
    const frame: GatedFrame = this.chat === undefined ? { type: 'next' } : { type: 'next', chat: this.chat };
    if (proof !== undefined) frame.proof = proof;
    this.view.leaveChatLocally('waiting');
    return this.gate.send(frame);
  }

  /**
   * Asks to be put back with the stranger of an ended chat (default: `previousChat`), within
   * the server's window (60 s by default) after it ended by `next` or `left`. The stranger
   * gets `rematch_offer`; once both asked, both get `paired` with `rematch: true`.
   */
  rematch(chat: string | undefined = this.previousChat): Promise<void> {
    if (this.state === 'paired') return refused('invalid_state', 'cannot ask for a rematch while paired');
    if (typeof chat !== 'string' || chat.length === 0) return refused('invalid_argument', 'chat must be the id of an ended chat');
    return this.sendFrame({ type: 'rematch', chat });
  }

  /** Ends the chat or stops searching; the session becomes idle (the server sends nothing back). */
  leave(): Promise<void> {
    const sent = this.sendFrame({ type: 'leave' });
    if (this.isOpen()) this.view.leaveChatLocally('idle');
    return sent;
  }

  /** Reports the partner: like `next` for us; the two are never paired again. */
  report(options: ReportOptions = {}): Promise<void> {
    const { category, reason } = options;
    if (reason !== undefined && (typeof reason !== 'string' || reason.length > 200)) {
      return refused('invalid_argument', 'reason must be a string of at most 200 characters');
    }
    if (this.state !== 'paired' || this.chat === undefined) return refused('not_paired', 'no partner to report');
    const frame: ClientFrame = { type: 'report', chat: this.chat };
    if (category !== undefined) frame.category = category;
    if (reason !== undefined) frame.reason = reason;
    const sent = this.sendFrame(frame);
    if (this.isOpen()) this.view.leaveChatLocally('waiting');
    return sent;
  }

  /**
   * Closes for good. By default leaves the chat first, so the partner is told at once
   * instead of after the server's resume grace period.
   */
  close({ leave = true }: { leave?: boolean } = {}): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.transport.close(1000, 'client closed', leave && this.state !== 'idle' ? { type: 'leave' } : undefined);
    this.gate.clear();
    this.pending.rejectAll('connection_lost', 'the client was closed before the server acknowledged the message');
    this.chat = undefined;
    this.view.setState('idle');
    this.finish(1000, 'client closed');
  }

  private isOpen(): boolean {
    return this.status === 'open' && this.transport.isOpen();
  }

  private sendFrame(frame: ClientFrame): Promise<void> {
    if (!this.isOpen()) return refused('not_connected', `cannot send "${frame.type}": not connected`);
    this.writeFrame(frame);
    return Promise.resolve();
  }

  private writeFrame(frame: ClientFrame): void {
    this.transport.send(frame);
  }

  private openSocket(): void {
    const base = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    const token = this.view.token;
    this.view.resuming = token !== undefined;
    const url = token ? resumeUrl(base, token, this.lastSeq) : base;
    try {
      this.transport.open(url);
    } catch (error) {
      // A malformed URL: nothing to retry.
      this.connectWaiter?.reject(new StrangerClientError('not_connected', `cannot open ${url}: ${(error as Error).message}`));
      this.connectWaiter = undefined;
      this.status = 'disconnected';
    }
  }

  private onSocketClose(code: number, reason: string): void {
    this.pending.rejectAll('connection_lost', 'connection lost before the server acknowledged the message; it may or may not reach the partner');
    if (closeAdvice(code) === 'stop') return this.stop(code, reason);
    const waiter = this.connectWaiter;
    if (waiter && this.status === 'connecting') {
      // The very first connection failed: let the caller decide (a saved session stays resumable).
      this.connectWaiter = undefined;
      this.status = 'disconnected';
      waiter.reject(new StrangerClientError('not_connected', `connection failed (${code})`));
      return;
    }
    this.scheduleReconnect(code, reason);
  }

  /** The server told us not to come back: the session is over here. */
  private stop(code: number, reason: string): void {
    this.gate.clear();
    this.view.token = undefined;
    this.chat = undefined;
    this.view.setState('idle');
    const cause = stopCause(code);
    this.emit('stopped', { cause, code, reason, ban: cause === 'banned' ? this.ban : undefined });
    this.finish(code, reason);
  }

  private scheduleReconnect(code: number, reason: string): void {
    if (this.attempt >= this.backoff.maxAttempts) {
      this.chat = undefined;
      this.view.setState('idle');
      this.finish(code, reason);
      return;
    }
    if (this.status !== 'reconnecting') {
      this.status = 'reconnecting';
      this.droppedAt = Date.now();
    }
    // A draining gateway (1012) is healthy news: the others are up, so retry at once.
    const delayMs = code === CloseCode.serviceRestart && this.attempt === 0 ? 0 : backoffDelay(this.attempt, this.backoff);
    this.attempt += 1;
    this.emit('reconnecting', { attempt: this.attempt, delayMs, since: this.droppedAt, code, reason });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.openSocket();
    }, delayMs);
  }

  private opened(): void {
    this.status = 'open';
    this.attempt = 0;
  }

  private settleConnect(result: ConnectResult): void {
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve(result);
  }

  private finish(code: number, reason: string): void {
    if (this.status === 'closed') return;
    this.status = 'closed';
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.reject(new StrangerClientError('not_connected', 'closed before the server welcomed the client'));
    this.emit('closed', { code, reason });
  }
}
