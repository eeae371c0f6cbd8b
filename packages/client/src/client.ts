import {
  CloseCode,
  ErrorCode,
  serverFrameSchema,
  type ClientFrame,
  type LeftReason,
  type ServerFrame,
  type ServerFrameOf,
  type SessionState,
} from '@strangers/protocol';
import { backoffDelay, defaultBackoff, type BackoffOptions } from './backoff.js';
import { TypedEmitter } from './emitter.js';
import { StrangerClientError } from './errors.js';
import {
  globalWebSocket,
  OPEN,
  resumeUrl,
  type SocketCloseEvent,
  type SocketMessageEvent,
  type WebSocketConstructor,
  type WebSocketLike,
} from './socket.js';

export type ConnectionStatus = 'disconnected' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the SDK says a chat ended without a `partner_left` from the server. */
export type ChatEndedReason =
  /** The resume token was unknown or expired (gone longer than the grace): a fresh session follows. */
  | 'resume_failed'
  /** The resume worked, but the chat had ended meanwhile (the server then reports the new state). */
  | 'ended_while_away';

export interface StrangerClientEvents {
  /** A fresh session: after `connect()`, or after a failed resume. */
  welcome: { session: string; online: number };
  /** The session state changed (idle → waiting → paired …). */
  state: { state: SessionState; previous: SessionState };
  waiting: { online: number };
  paired: { chat: string; interests: string[] };
  /** A partner message; never emitted twice for the same `seq`, even across resumes. */
  message: { text: string; seq: number; ts: number };
  typing: { typing: boolean };
  partner_left: { reason: LeftReason };
  /** The connection dropped; the next attempt starts after `delayMs`. `since`: when it dropped. */
  reconnecting: { attempt: number; delayMs: number; since: number; code: number; reason: string };
  resumed: { state: SessionState; chat: string | undefined };
  chat_ended: { reason: ChatEndedReason };
  /** A server error not tied to a pending `send()` (those reject the send's promise instead). */
  error: { code: ErrorCode; message: string };
  /** Closed for good: by `close()`, or after `backoff.maxAttempts` failed reconnects. */
  closed: { code: number; reason: string };
}

export interface StrangerClientOptions {
  /** The `/ws` URL (absolute, `ws:` or `wss:`), or a function asked before each attempt. */
  url: string | (() => string);
  /** WebSocket class; defaults to the global one (browsers, Node ≥ 22). Pass `ws` in older Node. */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
}

export interface JoinOptions {
  interests?: string[];
  /** Go back into the queue automatically when a partner leaves (server default: true). */
  requeue?: boolean;
}

interface PendingSend {
  resolve(result: { seq: number }): void;
  reject(error: StrangerClientError): void;
}

/**
 * Server errors that answer a `message` frame. The protocol's `error` frame carries no `id`,
 * so such an error is attributed to the OLDEST unacknowledged send: the gateway answers a
 * client's frames in order, so the first unanswered message is the one refused. An
 * `invalid_state` caused by another frame (e.g. a `next` racing a `partner_left`) while a
 * send is pending can be misattributed; the SDK avoids sending frames it knows are invalid.
 */
const SEND_ERRORS: ReadonlySet<string> = new Set([
  ErrorCode.textTooLong,
  ErrorCode.rateLimited,
  ErrorCode.unavailable,
  ErrorCode.invalidState,
]);

/**
 * A client of the `/ws` protocol: one session, its chat, and automatic resume.
 *
 * When the socket drops for any reason other than `close()`, the client reconnects with
 * exponential backoff and jitter to `url?resume=<token>&last=<seq>`, where `seq` is the
 * highest partner message seen in the current chat, so the server replays only what was
 * missed; replays at or below that `seq` are dropped here too. Sends not yet acknowledged
 * when the socket dropped are rejected with `connection_lost` (see `StrangerClientError`).
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

  private readonly WebSocketClass: WebSocketConstructor;
  private readonly backoff: Required<BackoffOptions>;
  private socket: WebSocketLike | undefined;
  private resumeToken: string | undefined;
  private readonly pending = new Map<string, PendingSend>();
  private nextId = 1;
  private attempt = 0;
  /** The current socket was opened to resume a session (not for a fresh one). */
  private resuming = false;
  private droppedAt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private connectWaiter: { resolve(welcome: { session: string; online: number }): void; reject(error: Error): void } | undefined;

  constructor(private readonly options: StrangerClientOptions) {
    super();
    const WebSocketClass = options.WebSocket ?? globalWebSocket();
    if (!WebSocketClass) throw new TypeError('no global WebSocket: pass the `WebSocket` option (e.g. the `ws` package)');
    this.WebSocketClass = WebSocketClass;
    this.backoff = { ...defaultBackoff, ...options.backoff };
  }

  /** Opens the connection; resolves on the server's `welcome`, rejects if the first connection fails. */
  connect(): Promise<{ session: string; online: number }> {
    if (this.status !== 'disconnected' && this.status !== 'closed') {
      return Promise.reject(new StrangerClientError('invalid_state', `already ${this.status}`));
    }
    // A new connection starts a new session: never resume one that `close()` ended.
    this.resumeToken = undefined;
    this.lastSeq = 0;
    return new Promise((resolve, reject) => {
      this.connectWaiter = { resolve, reject };
      this.status = 'connecting';
      this.openSocket();
    });
  }

  join(options: JoinOptions = {}): void {
    const frame: ClientFrame = { type: 'join' };
    if (options.interests) frame.interests = options.interests;
    if (options.requeue !== undefined) frame.requeue = options.requeue;
    this.sendFrame(frame);
  }

  /** Sends a message; resolves with its `seq` once the server has stored it (its `ack`). */
  send(text: string): Promise<{ seq: number }> {
    if (!this.isOpen()) return Promise.reject(new StrangerClientError('not_connected', 'not connected'));
    if (this.state !== 'paired') return Promise.reject(new StrangerClientError('not_paired', 'no partner to send to'));
    if (text.length === 0) return Promise.reject(new StrangerClientError('invalid_text', 'text is empty'));
    const id = `m${this.nextId++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.sendFrame({ type: 'message', text, id });
    });
  }

  /** Best effort: dropped silently when not paired or not connected. */
  typing(typing: boolean): void {
    if (this.isOpen() && this.state === 'paired') this.sendFrame({ type: 'typing', typing });
  }

  /** Ends the chat (or keeps searching) and looks for someone else. */
  next(): void {
    this.sendFrame({ type: 'next' });
    if (this.state === 'paired') this.leaveChatLocally('waiting');
  }

  /** Ends the chat or stops searching; the session becomes idle (the server sends nothing back). */
  leave(): void {
    this.sendFrame({ type: 'leave' });
    this.leaveChatLocally('idle');
  }

  /** Reports the partner: like `next` for us; the two are never paired again. */
  report(reason?: string): void {
    this.sendFrame(reason === undefined ? { type: 'report' } : { type: 'report', reason });
    this.leaveChatLocally('waiting');
  }

  /**
   * Closes for good. By default leaves the chat first, so the partner is told at once
   * instead of after the server's resume grace period.
   */
  close({ leave = true }: { leave?: boolean } = {}): void {
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket && leave && socket.readyState === OPEN && this.state !== 'idle') socket.send(JSON.stringify({ type: 'leave' }));
    socket?.close(1000, 'client closed');
    this.rejectPending('connection_lost', 'the client was closed before the server acknowledged the message');
    this.setState('idle');
    this.finish(1000, 'client closed');
  }

  private isOpen(): boolean {
    return this.status === 'open' && this.socket?.readyState === OPEN;
  }

  private sendFrame(frame: ClientFrame): void {
    if (!this.isOpen()) throw new StrangerClientError('not_connected', `cannot send "${frame.type}": not connected`);
    this.socket!.send(JSON.stringify(frame));
  }

  private openSocket(): void {
    const base = typeof this.options.url === 'function' ? this.options.url() : this.options.url;
    this.resuming = this.resumeToken !== undefined;
    const url = this.resumeToken ? resumeUrl(base, this.resumeToken, this.lastSeq) : base;
    const socket = new this.WebSocketClass(url);
    this.socket = socket;
    socket.onmessage = (event: SocketMessageEvent) => this.onSocketMessage(socket, event);
    socket.onclose = (event: SocketCloseEvent) => this.onSocketClose(socket, event);
    // A failed connection also fires `close`, which is where it is handled.
    socket.onerror = () => {};
  }

  private onSocketMessage(socket: WebSocketLike, event: SocketMessageEvent): void {
    if (socket !== this.socket || typeof event.data !== 'string') return;
    let parsed;
    try {
      parsed = serverFrameSchema.safeParse(JSON.parse(event.data));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      this.emit('error', { code: ErrorCode.invalidMessage, message: 'the server sent a frame this client does not understand' });
      return;
    }
    this.onFrame(parsed.data);
  }

  private onFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        return this.onWelcome(frame);
      case 'resumed':
        return this.onResumed(frame);
      case 'waiting':
        this.online = frame.online;
        this.setState('waiting');
        this.emit('waiting', { online: frame.online });
        return;
      case 'paired':
        this.enterChat(frame.chat, frame.interests);
        return;
      case 'message':
        // Replays after a resume may overlap what was already seen: seq is the dedup key.
        if (frame.seq <= this.lastSeq) return;
        this.lastSeq = frame.seq;
        this.emit('message', { text: frame.text, seq: frame.seq, ts: frame.ts });
        return;
      case 'ack': {
        const pending = frame.id === undefined ? undefined : this.pending.get(frame.id);
        if (!pending) return;
        this.pending.delete(frame.id!);
        pending.resolve({ seq: frame.seq });
        return;
      }
      case 'typing':
        this.emit('typing', { typing: frame.typing });
        return;
      case 'partner_left':
        this.chat = undefined;
        this.setState('idle');
        this.emit('partner_left', { reason: frame.reason });
        return;
      case 'error':
        return this.onError(frame);
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
    this.resumeToken = frame.resumeToken;
    this.online = frame.online;
    this.status = 'open';
    this.attempt = 0;
    this.emit('welcome', { session: frame.session, online: frame.online });
    const waiter = this.connectWaiter;
    this.connectWaiter = undefined;
    waiter?.resolve({ session: frame.session, online: frame.online });
  }

  private onResumed(frame: ServerFrameOf<'resumed'>): void {
    this.status = 'open';
    this.attempt = 0;
    this.resuming = false;
    const sameChat = frame.state === 'paired' && frame.chat === this.chat;
    if (this.state === 'paired' && !sameChat) {
      this.chat = undefined;
      this.emit('chat_ended', { reason: 'ended_while_away' });
    }
    if (frame.state === 'paired' && !sameChat) {
      // Paired while away: the shared interests were in the `paired` frame we missed.
      this.enterChat(frame.chat ?? '', []);
    } else if (frame.state === 'waiting' && this.state !== 'waiting') {
      this.setState('waiting');
      this.emit('waiting', { online: this.online });
    } else {
      this.setState(frame.state);
    }
    this.emit('resumed', { state: frame.state, chat: frame.chat });
  }

  private onError(frame: ServerFrameOf<'error'>): void {
    if (frame.code === ErrorCode.resumeFailed) {
      // A fresh `welcome` follows; whatever chat or queue place we had is gone.
      this.resuming = false;
      this.emit('error', { code: frame.code, message: frame.message });
      this.endLostSession();
      return;
    }
    const oldest = SEND_ERRORS.has(frame.code) ? this.pending.entries().next().value : undefined;
    if (oldest) {
      this.pending.delete(oldest[0]);
      oldest[1].reject(new StrangerClientError(frame.code, frame.message));
      return;
    }
    this.emit('error', { code: frame.code, message: frame.message });
  }

  private onSocketClose(socket: WebSocketLike, event: SocketCloseEvent): void {
    if (socket !== this.socket) return;
    this.socket = undefined;
    this.rejectPending(
      'connection_lost',
      'connection lost before the server acknowledged the message; it may or may not reach the partner',
    );
    const waiter = this.connectWaiter;
    if (waiter && !this.resumeToken) {
      // The very first connection failed: nothing to resume, let the caller decide.
      this.connectWaiter = undefined;
      this.status = 'disconnected';
      waiter.reject(new StrangerClientError('not_connected', `connection failed (${event.code})`));
      return;
    }
    this.scheduleReconnect(event.code, event.reason);
  }

  private scheduleReconnect(code: number, reason: string): void {
    if (this.attempt >= this.backoff.maxAttempts) {
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

  private endLostSession(): void {
    const hadChat = this.state !== 'idle';
    this.resumeToken = undefined;
    this.chat = undefined;
    this.lastSeq = 0;
    this.setState('idle');
    if (hadChat) this.emit('chat_ended', { reason: 'resume_failed' });
  }

  private enterChat(chat: string, interests: string[]): void {
    this.chat = chat;
    this.interests = interests;
    this.lastSeq = 0; // seq numbers are per chat
    this.setState('paired');
    this.emit('paired', { chat, interests });
  }

  private leaveChatLocally(next: SessionState): void {
    this.chat = undefined;
    this.setState(next);
  }

  private setState(state: SessionState): void {
    const previous = this.state;
    if (previous === state) return;
    this.state = state;
    this.emit('state', { state, previous });
  }

  private rejectPending(code: 'connection_lost', message: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const send of pending) send.reject(new StrangerClientError(code, message));
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
