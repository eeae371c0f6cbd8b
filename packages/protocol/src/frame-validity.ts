import type { ClientFrameType } from './client-frames.js';
import type { ClientFrameTypes, SessionState } from './codes.js';

/**
 * PROTOCOL.md §1, the "valid when" column: the session states in which each client frame
 * may be sent. Any other frame gets `error invalid_state` and has no effect.
 */
export const FRAME_VALID_IN: Readonly<Record<ClientFrameType, readonly SessionState[]>> = {
  join: ['idle'],
  message: ['paired'],
  typing: ['paired'],
  next: ['waiting', 'paired'],
  leave: ['idle', 'waiting', 'paired'],
  report: ['paired'],
  rematch: ['idle', 'waiting'],
};

export function isFrameValidIn(type: ClientFrameType, state: SessionState): boolean {
  // `?? false`: bundlers that see the frame types as plain strings (the SDK's d.ts build) ask for it.
  return FRAME_VALID_IN[type]?.includes(state) ?? false;
}

/** The `message` of the `invalid_state` error for a frame sent in the wrong state. */
export function invalidStateMessage(type: ClientFrameType, state: SessionState): string {
  return `"${type}" is not valid while ${state}`;
}

// The code table and the frame schemas name the same frames (a compile-time check).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const tableMatchesSchemas: Same<ClientFrameType, (typeof ClientFrameTypes)[keyof typeof ClientFrameTypes]> = true;
void tableMatchesSchemas;
