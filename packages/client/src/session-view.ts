import { ErrorCode, type ServerFrame, type ServerFrameOf, type SessionState } from '@strangers/protocol';
import type { PendingSends } from './pending-sends.js';
import type { ProofChallenge, ProofGate } from './proof-gate.js';
import type { BanStatement, ConnectResult, PairedEvent, StrangerClientEvents } from './types.js';

/** The client's public fields that describe its session (StrangerClient's own, kept up to date here). */
export interface SessionFields {
  state: SessionState;
  session: string | undefined;
  chat: string | undefined;
  interests: string[];
  online: number;
  lastSeq: number;
  ban: BanStatement | undefined;
  previousChat: string | undefined;
}

/** StrangerClient's `emit` (protected there), handed to the view. */
export type EmitClientEvent = <K extends keyof StrangerClientEvents>(event: K, payload: StrangerClientEvents[K]) => void;

/** What the view needs of the client beyond its fields. */
export interface SessionViewHost {
  emit: EmitClientEvent;
  gate: ProofGate;
  pending: PendingSends;
  /** `welcome` or `resumed` came: the connection is up (the reconnect count starts again). */
  opened(): void;
  /** Resolves a pending `connect()`. */
  settleConnect(result: ConnectResult): void;
}

/**
 * The client's view of its session as the server's frames describe it: each frame's effect
 * on the state, chat, `seq` dedup and resume token, and the events it raises. Apart from
 * client.ts, which holds the calls that send frames and the connection, so the resume rules
 * (a welcome that answers a resume, a chat that ended while away) read on their own.
 */
export class SessionView {
  /** The token that resumes the session; the client sets it from a saved session and clears it on a stop. */
  token: string | undefined;
  /** The current socket was opened to resume a session (not for a fresh one). */
  resuming = false;

  constructor(
    private readonly client: SessionFields,
    private readonly host: SessionViewHost,
  ) {}

  onFrame(frame: ServerFrame): void {
    const client = this.client;
    switch (frame.type) {
      case 'welcome':
        return this.onWelcome(frame);
      case 'resumed':
        return this.onResumed(frame);
      case 'waiting':
        this.host.gate.accepted();
        client.online = frame.online;
        this.setState('waiting');
        this.host.emit('waiting', { online: frame.online });
        return;
      case 'paired': {
        const { type: _type, ...paired } = frame;
        this.enterChat(paired);
        return;
      }
      case 'message':
        // Replays after a resume may overlap what was already seen: seq is the dedup key.
        if (frame.seq <= client.lastSeq) return;
        client.lastSeq = frame.seq;
        this.host.emit('message', { text: frame.text, seq: frame.seq, ts: frame.ts });
        return;
      case 'ack':
        return this.host.pending.ack(frame.id, frame.seq);
      case 'typing':
        return this.host.emit('typing', { typing: frame.typing });
      case 'partner_left':
        this.leaveChatLocally('idle');
        this.host.emit('partner_left', { reason: frame.reason });
        return;
      case 'error':
        return this.onError(frame);
      default:
        return this.onSafetyOrMediaFrame(frame);
    }
  }

  /** The chat ends on this side (next, leave, report, partner_left): `previousChat` keeps it for `rematch()`. */
  leaveChatLocally(next: SessionState): void {
    if (this.client.chat !== undefined) this.client.previousChat = this.client.chat;
    this.client.chat = undefined;
    this.setState(next);
  }

  setState(state: SessionState): void {
    const previous = this.client.state;
    if (previous === state) return;
    this.client.state = state;
    this.host.emit('state', { state, previous });
  }

  /** The v1.1 frames the SDK only passes on as events. */
  private onSafetyOrMediaFrame(frame: ServerFrameOf<'rematch_offer' | 'challenge' | 'banned' | 'signal' | 'ice'>): void {
    switch (frame.type) {
      case 'rematch_offer':
        return this.host.emit('rematch_offer', { chat: frame.chat });
      case 'challenge':
        return this.onChallenge(frame.challenge);
      case 'banned': {
        const { type: _type, ...ban } = frame;
        this.client.ban = ban;
        return this.host.emit('banned', ban);
      }
      case 'signal':
        return this.host.emit('signal', { data: frame.data });
      case 'ice':
        return this.host.emit('ice', { ice: frame.ice, iceTransportPolicy: frame.iceTransportPolicy });
    }
  }

  private onChallenge(challenge: Record<string, unknown>): void {
    this.host.emit('challenge', { challenge });
    this.host.gate.setChallenge(challenge as unknown as ProofChallenge);
  }

  private onWelcome(frame: ServerFrameOf<'welcome'>): void {
    if (this.resuming) {
      // A welcome answering a resume is a new session, announced by resume_failed or not
      // (a gateway without resume support just ignores the parameters): the chat is gone.
      this.resuming = false;
      this.endLostSession();
    }
    this.client.session = frame.session;
    this.setToken(frame.resumeToken);
    this.client.online = frame.online;
    this.host.opened();
    this.host.gate.clear();
    this.host.emit('welcome', { session: frame.session, online: frame.online });
    if (frame.challenge) this.onChallenge(frame.challenge);
    this.host.settleConnect({ resumed: false, session: frame.session, online: frame.online });
  }

  private onResumed(frame: ServerFrameOf<'resumed'>): void {
    const client = this.client;
    this.host.opened();
    this.resuming = false;
    // v1.1 rotates the token on every resume; an older gateway keeps the first one.
    if (frame.resumeToken) this.setToken(frame.resumeToken);
    const sameChat = frame.state === 'paired' && frame.chat === client.chat;
    if (client.chat !== undefined && !sameChat) {
      client.chat = undefined;
      this.host.emit('chat_ended', { reason: 'ended_while_away' });
    }
    if (frame.state === 'paired' && !sameChat) {
      // Paired while away: the shared interests were in the `paired` frame we missed.
      this.enterChat({ chat: frame.chat ?? '', interests: [] });
    } else if (frame.state === 'waiting' && client.state !== 'waiting') {
      this.setState('waiting');
      this.host.emit('waiting', { online: client.online });
    } else {
      this.setState(frame.state);
    }
    this.host.emit('resumed', { state: frame.state, chat: frame.chat, recovered: frame.recovered });
    this.host.settleConnect({ resumed: true, state: frame.state, chat: frame.chat });
  }

  private onError(frame: ServerFrameOf<'error'>): void {
    const error = { code: frame.code, message: frame.message, id: frame.id };
    if (frame.code === ErrorCode.resumeFailed) {
      // A fresh `welcome` follows; whatever chat or queue place we had is gone.
      this.resuming = false;
      this.host.emit('error', error);
      this.endLostSession();
      return;
    }
    if (frame.code === ErrorCode.proofRequired && this.host.gate.refused()) return;
    const answeredSend = this.host.pending.rejectFor(error);
    if (frame.code === ErrorCode.staleChat) this.host.emit('stale_chat', { id: frame.id, message: frame.message });
    else if (!answeredSend) this.host.emit('error', error);
  }

  private setToken(token: string): void {
    if (token === this.token) return;
    this.token = token;
    this.host.emit('resume_token', { token });
  }

  private endLostSession(): void {
    const client = this.client;
    const hadChat = client.state !== 'idle' || client.chat !== undefined;
    this.token = undefined;
    client.chat = undefined;
    client.lastSeq = 0;
    this.setState('idle');
    if (hadChat) this.host.emit('chat_ended', { reason: 'resume_failed' });
  }

  private enterChat(paired: PairedEvent): void {
    const client = this.client;
    client.chat = paired.chat;
    client.interests = paired.interests;
    client.lastSeq = 0; // seq numbers are per chat
    this.setState('paired');
    this.host.emit('paired', paired);
  }
}
