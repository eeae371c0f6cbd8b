import {
  CloseCode,
  closeAdvice,
  ErrorCode,
  type ClientFrame,
  type ServerFrame,
  type ServerFrameOf,
  type SessionState,
} from '@strangers/protocol';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { StrangerClientError } from './errors.js';
import { refused, stopCause } from './refusals.js';
import { joinFrame } from './join-frame.js';
import { PendingSends } from './pending-sends.js';
import { ProofGate, type GatedFrame, type ProofChallenge } from './proof-gate.js';
import { globalWebSocket, resumeUrl, type WebSocketConstructor } from './socket.js';
import { Transport } from './transport.js';
import type {
  BanStatement,
  ConnectionStatus,
  ConnectOptions,
  ConnectResult,
  JoinOptions,
  NextOptions,
  PairedEvent,
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
  private token: string | undefined;
  private readonly pending = new PendingSends();
  private attempt = 0;
  /** The current socket was opened to resume a session (not for a fresh one). */
  private resuming = false;
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
    // A missing WebSocket is reported by connect()'s promise, like every other refusal.
    this.WebSocketClass = options.WebSocket ?? globalWebSocket();
    this.transport = new Transport(this.WebSocketClass, {
      frame: (frame) => this.onFrame(frame),
      unreadable: () => this.emit('error', { code: ErrorCode.invalidMessage, message: 'the server sent a frame this client does not understand', id: undefined }),
      closed: (code, reason) => this.onSocketClose(code, reason),
    });
    this.backoff = { ...defaultBackoff, ...options.backoff };
  }

  /** The token that resumes this session (it changes: follow `resume_token` to persist it). */
  get resumeToken(): string | undefined {
    return this.token;
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
    this.token = saved?.token;
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
    this.leaveChatLocally('waiting');
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
    if (this.isOpen()) this.leaveChatLocally('idle');
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
    if (this.isOpen()) this.leaveChatLocally('waiting');
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
    this.setState('idle');
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

  private onChallenge(challenge: Record<string, unknown>): void {
    this.emit('challenge', { challenge });
    this.gate.setChallenge(challenge as unknown as ProofChallenge);
  }

  private openSocket(): void {
    const base = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    this.resuming = this.token !== undefined;
    const url = this.token ? resumeUrl(base, this.token, this.lastSeq) : base;
    try {
      this.transport.open(url);
    } catch (error) {
      // A malformed URL: nothing to retry.
      this.connectWaiter?.reject(new StrangerClientError('not_connected', `cannot open ${url}: ${(error as Error).message}`));
      this.connectWaiter = undefined;
      this.status = 'disconnected';
    }
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        return this.onWelcome(frame);
      case 'resumed':
        return this.onResumed(frame);
      case 'waiting':
        this.gate.accepted();
        this.online = frame.online;
        this.setState('waiting');
        this.emit('waiting', { online: frame.online });
        return;
      case 'paired': {
        const { type: _type, ...paired } = frame;
        this.enterChat(paired);
        return;
      }
      case 'message':
        // Replays after a resume may overlap what was already seen: seq is the dedup key.
        if (frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
        this.emit('message', { text: frame.text, seq: frame.seq, ts: frame.ts });
        return;
      case 'ack':
        return this.pending.ack(frame.id, frame.seq);
      case 'typing':
        return this.emit('typing', { typing: frame.typing });
      case 'partner_left':
        this.leaveChatLocally('idle');
        this.emit('partner_left', { reason: frame.reason });
        return;
      case 'error':
        return this.onError(frame);
      default:
        return this.onSafetyOrMediaFrame(frame);
    }
  }

  /** The v1.1 frames the SDK only passes on as events. */
  private onSafetyOrMediaFrame(frame: ServerFrameOf<'rematch_offer' | 'challenge' | 'banned' | 'signal' | 'ice'>): void {
    switch (frame.type) {
      case 'rematch_offer':
        return this.emit('rematch_offer', { chat: frame.chat });
      case 'challenge':
        return this.onChallenge(frame.challenge);
      case 'banned': {
        const { type: _type, ...ban } = frame;
        this.ban = ban;
        return this.emit('banned', ban);
      }
      case 'signal':
        return this.emit('signal', { data: frame.data });
      case 'ice':
        return this.emit('ice', { ice: frame.ice, iceTransportPolicy: frame.iceTransportPolicy });
    }
  }

  private onWelcome(frame: ServerFrameOf<'welcome'>): void {
    if (this.resuming) {
      // A welcome answering a resume is a new session, announced by resume_failed or not
      // (a gateway without resume support just ignores the parameters): the chat is gone.
      this.resuming = false;
      this.endLostSession();
    }
    this.session = frame.session;
    this.setToken(frame.resumeToken);
    this.online = frame.online;
    this.opened();
    this.gate.clear();
    this.emit('welcome', { session: frame.session, online: frame.online });
    if (frame.challenge) this.onChallenge(frame.challenge);
    this.settleConnect({ resumed: false, session: frame.session, online: frame.online });
  }

  private onResumed(frame: ServerFrameOf<'resumed'>): void {
    this.opened();
    this.resuming = false;
    // v1.1 rotates the token on every resume; an older gateway keeps the first one.
    if (frame.resumeToken) this.setToken(frame.resumeToken);
    const sameChat = frame.state === 'paired' && frame.chat === this.chat;
    if (this.chat !== undefined && !sameChat) {
      this.chat = undefined;
      this.emit('chat_ended', { reason: 'ended_while_away' });
    }
    if (frame.state === 'paired' && !sameChat) {
      // Paired while away: the shared interests were in the `paired` frame we missed.
      this.enterChat({ chat: frame.chat ?? '', interests: [] });
    } else if (frame.state === 'waiting' && this.state !== 'waiting') {
      this.setState('waiting');
      this.emit('waiting', { online: this.online });
    } else {
      this.setState(frame.state);
    }
    this.emit('resumed', { state: frame.state, chat: frame.chat, recovered: frame.recovered });
    this.settleConnect({ resumed: true, state: frame.state, chat: frame.chat });
  }

  private onError(frame: ServerFrameOf<'error'>): void {
    const error = { code: frame.code, message: frame.message, id: frame.id };
    if (frame.code === ErrorCode.resumeFailed) {
      // A fresh `welcome` follows; whatever chat or queue place we had is gone.
      this.resuming = false;
      this.emit('error', error);
      this.endLostSession();
      return;
    }
    if (frame.code === ErrorCode.proofRequired && this.gate.refused()) return;
    const answeredSend = this.pending.rejectFor(error);
    if (frame.code === ErrorCode.staleChat) this.emit('stale_chat', { id: frame.id, message: frame.message });
    else if (!answeredSend) this.emit('error', error);
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
    this.token = undefined;
    this.chat = undefined;
    this.setState('idle');
    const cause = stopCause(code);
    this.emit('stopped', { cause, code, reason, ban: cause === 'banned' ? this.ban : undefined });
    this.finish(code, reason);
  }

  private scheduleReconnect(code: number, reason: string): void {
    if (this.attempt >= this.backoff.maxAttempts) {
      this.chat = undefined;
      this.setState('idle');
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

  private setToken(token: string): void {
    if (token === this.token) return;
    this.token = token;
    this.emit('resume_token', { token });
  }

  private settleConnect(result: ConnectResult): void {
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve(result);
  }

  private endLostSession(): void {
    const hadChat = this.state !== 'idle' || this.chat !== undefined;
    this.token = undefined;
    this.chat = undefined;
    this.lastSeq = 0;
    this.setState('idle');
    if (hadChat) this.emit('chat_ended', { reason: 'resume_failed' });
  }

  private enterChat(paired: PairedEvent): void {
    this.chat = paired.chat;
    this.interests = paired.interests;
    this.lastSeq = 0; // seq numbers are per chat
    this.setState('paired');
    this.emit('paired', paired);
  }

  private leaveChatLocally(next: SessionState): void {
    if (this.chat !== undefined) this.previousChat = this.chat;
    this.chat = undefined;
    this.setState(next);
  }

  private setState(state: SessionState): void {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.emit('state', { state, previous });
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
