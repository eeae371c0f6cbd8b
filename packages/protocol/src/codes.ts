/** Error codes carried by `{"type":"error","code":…}` frames (PROTOCOL.md §1). */
export const ErrorCode = {
  invalidMessage: 'invalid_message',
  invalidState: 'invalid_state',
  rateLimited: 'rate_limited',
  textTooLong: 'text_too_long',
  resumeFailed: 'resume_failed',
  unavailable: 'unavailable',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

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
  /** The session was resumed on another connection; this one must not reconnect. */
  sessionTakenOver: 4001,
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

export const SessionState = {
  idle: 'idle',
  waiting: 'waiting',
  paired: 'paired',
} as const;
export type SessionState = (typeof SessionState)[keyof typeof SessionState];
