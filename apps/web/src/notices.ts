import type { BanStatement, StopCause } from '@strangers/client';

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

export function banDetails(ban: BanStatement): string {
  const until = ban.until ? ` until ${new Date(ban.until).toLocaleString()}` : '';
  return ` Reason: ${ban.reason}${until}.${ban.appeal ? ` You can appeal at ${ban.appeal}` : ''}`;
}
