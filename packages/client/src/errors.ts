import type { ErrorCode } from '@strangers/protocol';

/**
 * Why a `send()` (or another call) was refused. `code` is either a server error code
 * (PROTOCOL.md) or one of the SDK's own:
 * - `connection_lost`: the socket dropped before the server acknowledged the message. The
 *   server may or may not have stored it: if it did, the partner gets it after the resume;
 *   retrying may then show it twice. Offer the user a retry rather than retrying blindly.
 * - `not_connected`: there is no open connection (connecting, reconnecting or closed).
 * - `not_paired`: the session has no partner right now.
 * - `invalid_text`: empty text, refused locally.
 */
export type ClientErrorCode = ErrorCode | 'connection_lost' | 'not_connected' | 'not_paired' | 'invalid_text';

export class StrangerClientError extends Error {
  override readonly name = 'StrangerClientError';

  constructor(
    readonly code: ClientErrorCode,
    message: string,
  ) {
    super(message);
  }
}
