import type { ErrorCode, LeftReason, MediaKind, MediaRole, ReportCategory, SessionState } from '@strangers/protocol';
import type { BackoffOptions } from './backoff.js';
import type { ProofChallenge } from './proof-gate.js';
import type { WebSocketConstructor } from './socket.js';

// The SDK's public types. They are written out here (not inferred from the protocol's zod
// schemas) so the published declarations are plain TypeScript with no dependency.

export type { ErrorCode, LeftReason, MediaKind, MediaRole, ReportCategory, SessionState };

export type ConnectionStatus = 'disconnected' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Why the SDK says a chat ended without a `partner_left` from the server. */
export type ChatEndedReason =
  /** The resume token was unknown or expired (gone longer than the grace): a fresh session follows. */
  | 'resume_failed'
  /** The resume worked, but the chat had ended meanwhile (the server then reports the new state). */
  | 'ended_while_away';

/**
 * Why the server ended the session for good (a close code whose advice is "stop",
 * PROTOCOL.md "Answers at the edge"); the SDK does not reconnect after any of these.
 */
export type StopCause =
  /** 4001: the session was resumed on another connection (another tab or device holds it). */
  | 'taken_over'
  /** 4003: banned; `ban` holds the statement of reasons when the server sent one. */
  | 'banned'
  /** 1003, 1009 or another "stop" code: the server refused this client's frames. */
  | 'refused';

/** The statement of a `banned` frame (PROTOCOL.md §3). */
export interface BanStatement {
  ban: string;
  reason: string;
  /** Epoch ms when the ban ends; absent for a permanent ban. */
  until?: number;
  /** Where to appeal. */
  appeal?: string;
}

/** One RTCIceServer, as a browser's RTCPeerConnection takes it. */
export interface IceServer {
  urls: string[];
  username?: string;
  credential?: string;
}

/** `relay` when the deployment is relay-only: pass it to RTCPeerConnection (an addition to PROTOCOL.md §4). */
export type IceTransportPolicy = 'all' | 'relay';

export interface PairedEvent {
  chat: string;
  /** The shared interests (may be empty). */
  interests: string[];
  /** The shared languages, when the join asked for some. */
  lang?: string[];
  /** True when both sides asked to reconnect after their chat ended. */
  rematch?: boolean;
  media?: MediaKind;
  /** Audio/video chats: who sends the WebRTC offer. */
  role?: MediaRole;
  ice?: IceServer[];
  /** Audio/video chats on a relay-only deployment: `relay`. */
  iceTransportPolicy?: IceTransportPolicy;
}

export interface StrangerClientEvents {
  /** A fresh session: after `connect()`, or after a failed resume. */
  welcome: { session: string; online: number };
  /** The session state changed (idle → waiting → paired …). */
  state: { state: SessionState; previous: SessionState };
  waiting: { online: number };
  paired: PairedEvent;
  /** A partner message; never emitted twice for the same `seq`, even across resumes. */
  message: { text: string; seq: number; ts: number };
  typing: { typing: boolean };
  partner_left: { reason: LeftReason };
  /** The connection dropped; the next attempt starts after `delayMs`. `since`: when it dropped. */
  reconnecting: { attempt: number; delayMs: number; since: number; code: number; reason: string };
  /** Back on the same session. `recovered` is false when partner messages were missed for good. */
  resumed: { state: SessionState; chat: string | undefined; recovered: boolean | undefined };
  /** The token to resume this session with changed (welcome, or rotated by a resume): persist it here. */
  resume_token: { token: string };
  chat_ended: { reason: ChatEndedReason };
  /**
   * A frame was written for a chat that is no longer the session's current one, so the
   * server ignored it (PROTOCOL.md v1.1 "chat-scoped frames"). For a `send()` its promise
   * also rejects with code `stale_chat`. The events that moved the session on
   * (`partner_left`, `paired`) arrive on their own.
   */
  stale_chat: { id: string | undefined; message: string };
  /** The stranger of an ended chat asked to reconnect. */
  rematch_offer: { chat: string };
  /**
   * A proof of work is needed before the next `join`/`next` (an ALTCHA challenge object).
   * With the `solveProof` option the client solves it by itself; without, pass the proof to
   * `join({ proof })` / `next({ proof })`.
   */
  challenge: { challenge: Record<string, unknown> };
  /** The `solveProof` option failed (e.g. timed out); the next `join`/`next` goes without a proof. */
  proof_failed: { message: string };
  /** The server's statement before it closes a banned client (a `stopped` with cause `banned` follows). */
  banned: BanStatement;
  /** A WebRTC description or candidate from the partner. */
  signal: { data: Record<string, unknown> };
  /**
   * Fresh ICE servers for the current chat: the answer to `requestIce()`, and unsolicited
   * after every resume of an audio/video chat, when the `offer` side restarts ICE (docs/video.md).
   */
  ice: { ice: IceServer[]; iceTransportPolicy: IceTransportPolicy | undefined };
  /** A server error not tied to a pending `send()` (those reject the send's promise instead). */
  error: { code: ErrorCode; message: string; id: string | undefined };
  /** The server ended the session for good; no reconnect follows (then `closed`). */
  stopped: { cause: StopCause; code: number; reason: string; ban: BanStatement | undefined };
  /** Closed for good: by `close()`, a `stopped`, or after `backoff.maxAttempts` failed reconnects. */
  closed: { code: number; reason: string };
}

export interface StrangerClientOptions {
  /** The `/ws` URL (absolute, `ws:` or `wss:`), or a function asked before each attempt. */
  url: string | (() => string);
  /** WebSocket class; defaults to the global one (browsers, Node ≥ 22). Pass `ws`'s in Node 20/21. */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /**
   * Solves proof-of-work challenges automatically (PROTOCOL.md §3): each challenge is
   * solved as it arrives, and `join()`/`next()` wait for its proof and send it. A frame
   * refused with `proof_required` is sent again once the fresh challenge that follows is
   * solved. Pass `solveProofNode` from `@strangers/client/node` in Node, or `solveProof`
   * from `@strangers/client` (WebCrypto) in a browser or worker.
   */
  solveProof?(challenge: ProofChallenge, options: { signal: AbortSignal }): Promise<string>;
}

/** A session saved earlier (e.g. in sessionStorage) to pick up again, as after a page reload. */
export interface SavedSession {
  /** The latest `resume_token`. */
  token: string;
  /** The highest partner `seq` already shown; the server replays what came after it. */
  last?: number;
  /** The chat that was on, so resuming into it is not reported as a new chat. */
  chat?: string;
}

export interface ConnectOptions {
  /** Resume this session instead of starting a new one (falls back to a new one if it is gone). */
  resume?: SavedSession;
}

export type ConnectResult =
  | { resumed: false; session: string; online: number }
  | { resumed: true; state: SessionState; chat: string | undefined };

export interface JoinOptions {
  interests?: string[];
  /** Go back into the queue automatically when a partner leaves (server default: true). */
  requeue?: boolean;
  /** Up to 3 ISO 639-1 codes (`['en','es']`): paired with someone sharing one (PROTOCOL.md §1). */
  lang?: string[];
  /** The user's age group: true adult, false minor; adults and minors are never paired. */
  adult?: boolean;
  /** `text` (default), `audio` or `video`: paired only with the same kind. */
  media?: MediaKind;
  /** The proof of work for a `challenge`, when not solved by the `solveProof` option. */
  proof?: string;
}

export interface NextOptions {
  /** The proof of work for a `challenge`, when not solved by the `solveProof` option. */
  proof?: string;
}

export interface ReportOptions {
  /** Default `other`. */
  category?: ReportCategory;
  /** Free text, at most 200 characters. */
  reason?: string;
}
