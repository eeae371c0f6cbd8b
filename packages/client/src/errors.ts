import type { ErrorCode } from '@strangers/protocol';

/**
 * Why a call was refused. Every method of `StrangerClient` that talks to the server returns
 * a promise, and every refusal (a server error answering it, the connection, or a bad
 * argument) is a rejection with this error: nothing throws synchronously.
 *
 * `code` is either a server error code (PROTOCOL.md §1) or one of the SDK's own:
 * - `connection_lost`: the socket dropped before the server acknowledged the message. The
 *   server may or may not have stored it: if it did, the partner gets it after the resume;
 *   retrying may then show it twice. Offer the user a retry rather than retrying blindly.
 * - `not_connected`: there is no open connection (connecting, reconnecting or closed).
 * - `not_paired`: the session has no partner right now.
 * - `invalid_text`: empty or non-string text, refused locally.
 * - `invalid_argument`: another argument is not what the method takes.
 * - `invalid_state` (also a server code): not valid in the session's current state, as the
 *   SDK knows it (e.g. `join()` while already waiting).
 * - `stale_chat` (a server code): the message was written for a chat that has ended; it
 *   was not delivered (see `isStaleChat`).
 */
export type ClientErrorCode = ErrorCode | 'connection_lost' | 'not_connected' | 'not_paired' | 'invalid_text' | 'invalid_argument';

export class StrangerClientError extends Error {
  override readonly name = 'StrangerClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** True when `error` says a message was refused because its chat had already ended (not delivered). */
export function isStaleChat(error: unknown): boolean {
  return error instanceof StrangerClientError && error.code === 'stale_chat';
}
