// zod/mini: tree-shakable, so the browser bundle that validates server frames (the SDK) stays small.
import * as z from 'zod/mini';

/**
 * The code tables of the wire protocol (PROTOCOL.md §1), each defined once here: the
 * constants, their union types and the zod enums derived from them. Everything else (the
 * frame schemas, the stream codecs in packages/redis, the gateway, the SDK) imports them.
 */

/** Error codes carried by `{"type":"error","code":…}` frames (PROTOCOL.md §1). */
export const ErrorCode = {
  invalidMessage: 'invalid_message',
  invalidState: 'invalid_state',
  rateLimited: 'rate_limited',
  textTooLong: 'text_too_long',
  resumeFailed: 'resume_failed',
  unavailable: 'unavailable',
  /** v1.1: a chat-scoped frame named a chat that is not the session's current one. */
  staleChat: 'stale_chat',
  /** v1.1: refused by a content filter or the moderation hook; not delivered. */
  blocked: 'blocked',
  /** v1.1: `join`/`next` needs a valid, unused proof of work. */
  proofRequired: 'proof_required',
  /** v1.1: this deployment does not allow it (an age group, a media kind). */
  notAllowed: 'not_allowed',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
export const errorCodeSchema = z.enum(ErrorCode);

/** WebSocket close codes the gateway uses, with the reason text sent alongside. */
export const CloseCode = {
  /** Binary frame on a text-only endpoint (RFC 6455 "unsupported data"). */
  unsupportedData: 1003,
  /** Sustained abuse, e.g. a client that keeps flooding after `rate_limited`. */
  policyViolation: 1008,
  /** Frame above the configured size limit (ws sets this itself via maxPayload). */
  messageTooBig: 1009,
  /** The gateway is draining; the client should resume on another gateway. */
  serviceRestart: 1012,
  /** Shared room: Redis was unreachable while claiming the name (RFC 6455 "try again later"). */
  tryAgainLater: 1013,
  /** The session was resumed on another connection; this one must not reconnect. */
  sessionTakenOver: 4001,
  /** The client is banned (after a `banned` frame); it must not reconnect automatically. */
  banned: 4003,
  /** Shared room: the requested name is connected somewhere already. */
  usernameTaken: 4009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Why a chat ended, as told to the partner who stays. */
export const LeftReason = {
  left: 'left',
  next: 'next',
  disconnected: 'disconnected',
  reported: 'reported',
} as const;
export type LeftReason = (typeof LeftReason)[keyof typeof LeftReason];
export const leftReasonSchema = z.enum(LeftReason);

const LEFT_REASONS: ReadonlySet<string> = new Set(Object.values(LeftReason));
export function isLeftReason(value: string): value is LeftReason {
  return LEFT_REASONS.has(value);
}

/** A `/ws` session's state (PROTOCOL.md §1); which frame is valid in which: frame-validity.ts. */
export const SessionState = {
  idle: 'idle',
  waiting: 'waiting',
  paired: 'paired',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];

/** What a client should do when its socket closes with a code (PROTOCOL.md "Answers at the edge"). */
export type CloseAdvice = 'resume' | 'stop';

/**
 * The advice that goes with each close code, for clients (the SDK follows it). Codes not
 * listed (1006 dropped, 1011, a proxy's own) are transient: resume.
 */
export const CLOSE_ADVICE: Readonly<Record<number, { advice: CloseAdvice; meaning: string }>> = {
  [CloseCode.unsupportedData]: { advice: 'stop', meaning: 'a binary frame was sent: a client bug' },
  [CloseCode.policyViolation]: { advice: 'resume', meaning: 'sustained flooding: slow down, then resume within the grace' },
  [CloseCode.messageTooBig]: { advice: 'stop', meaning: 'a frame over the size limit: a client bug' },
  [CloseCode.serviceRestart]: { advice: 'resume', meaning: 'the gateway restarts: resume on any gateway' },
  [CloseCode.tryAgainLater]: { advice: 'resume', meaning: 'the room could not claim the name (Redis away): try again later' },
  [CloseCode.sessionTakenOver]: { advice: 'stop', meaning: 'the session was resumed on another connection: do not resume with the old token' },
  [CloseCode.banned]: { advice: 'stop', meaning: 'banned: do not reconnect automatically' },
  [CloseCode.usernameTaken]: { advice: 'stop', meaning: 'the room name is connected somewhere already' },
};

export function closeAdvice(code: number): CloseAdvice {
  return CLOSE_ADVICE[code]?.advice ?? 'resume';
}

/** `report.category` (PROTOCOL.md §1, v1.1); `other` when absent. */
export const ReportCategory = {
  spam: 'spam',
  harassment: 'harassment',
  sexual: 'sexual',
  minorSafety: 'minor_safety',
  hate: 'hate',
  selfHarm: 'self_harm',
  violence: 'violence',
  other: 'other',
} as const;
export type ReportCategory = (typeof ReportCategory)[keyof typeof ReportCategory];

/** `join.media` (PROTOCOL.md §4, v1.1): sessions pair only with the same kind. */
export const MediaKind = {
  text: 'text',
  audio: 'audio',
  video: 'video',
} as const;
export type MediaKind = (typeof MediaKind)[keyof typeof MediaKind];

/** `paired.role` for audio/video chats: who sends the WebRTC offer. */
export const MediaRole = {
  offer: 'offer',
  answer: 'answer',
} as const;
export type MediaRole = (typeof MediaRole)[keyof typeof MediaRole];

export const sessionStateSchema = z.enum(SessionState);

const SESSION_STATES: ReadonlySet<string> = new Set(Object.values(SessionState));
export function isSessionState(value: string): value is SessionState {
  return SESSION_STATES.has(value);
}

/** The `type` of every client → gateway frame (their schemas: client-frames.ts). */
export const ClientFrameTypes = {
  join: 'join',
  message: 'message',
  typing: 'typing',
  next: 'next',
  leave: 'leave',
  report: 'report',
  rematch: 'rematch',
} as const;
export const clientFrameTypeSchema = z.enum(ClientFrameTypes);

const CLIENT_FRAME_TYPES: ReadonlySet<string> = new Set(Object.values(ClientFrameTypes));
export function isClientFrameType(value: string): value is (typeof ClientFrameTypes)[keyof typeof ClientFrameTypes] {
  return CLIENT_FRAME_TYPES.has(value);
}
