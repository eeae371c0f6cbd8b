import type { StopCause } from '@strangers/client';

// What the page says when a chat or the session ends.

export const LEFT_TEXT = {
  left: 'Stranger left the chat.',
  next: 'Stranger moved on to someone else.',
  disconnected: 'Stranger lost their connection.',
  reported: 'The chat was ended.',
} as const;

export const STOP_TEXT: Record<StopCause, string> = {
  taken_over: 'This chat continued in another tab or window. This one is closed.',
  banned: 'You have been banned from chatting.',
  refused: 'The server closed the connection.',
};

/** Why one of our messages was not delivered, from the refusal's code. */
export function sendFailureText(code: string): string {
  switch (code) {
    case 'connection_lost':
      return 'connection lost; it may or may not have arrived';
    case 'rate_limited':
      return 'too fast, slow down';
    case 'text_too_long':
      return 'too long';
    case 'stale_chat':
      return 'that chat had already ended';
    case 'blocked':
      return 'refused by the filter';
    default:
      return 'not delivered';
  }
}
