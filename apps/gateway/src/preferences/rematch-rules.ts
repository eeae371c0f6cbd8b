import { ErrorCode } from '@strangers/protocol';
import type { EndedChatRecord } from '@strangers/redis';

/** A session's last ended chat (the session record's `ended`). */
export type EndedChat = EndedChatRecord;

export type RematchDecision = { ok: true; ended: EndedChat; until: number } | { ok: false; code: ErrorCode; message: string };

/**
 * Whether a `rematch` for `chat` may go to the matcher (PROTOCOL.md §1): it must name the
 * session's last ended chat, that chat ended by `next` or `left` (never `reported` or
 * `disconnected`), and the window since it ended is still open. The matcher then keeps
 * one offer per chat and refuses pairs a report keeps apart.
 */
export function decideRematch(ended: EndedChat | undefined, chat: string, now: number, windowMs: number): RematchDecision {
  if (!ended || ended.chat !== chat) return { ok: false, code: ErrorCode.invalidState, message: 'no such ended chat to rematch' };
  if (ended.reason !== 'next' && ended.reason !== 'left') {
    return { ok: false, code: ErrorCode.notAllowed, message: `a chat that ended with ${ended.reason} cannot be rematched` };
  }
  const until = ended.endedAt + windowMs;
  if (now >= until) return { ok: false, code: ErrorCode.invalidState, message: 'the rematch window for that chat is over' };
  return { ok: true, ended, until };
}
