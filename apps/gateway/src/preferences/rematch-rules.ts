import { z } from 'zod';
import { ErrorCode, LeftReason } from '@strangers/protocol';

/** A session's last ended chat, as the gateway keeps it for `rematch` (the session record's `ended`). */
export interface EndedChat {
  chat: string;
  partner: string;
  /** The partner's gateway as the chat last knew it: where the offer goes. */
  partnerGateway: string;
  reason: LeftReason;
  /** When it ended (ms). */
  endedAt: number;
}

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

/** The stored form of an ended chat (one field of the session record): JSON, or '' for none. */
export function encodeEndedChat(ended: EndedChat | undefined): string {
  return ended ? JSON.stringify(ended) : '';
}

const endedChatSchema = z.object({
  chat: z.string().min(1),
  partner: z.string().min(1),
  partnerGateway: z.string(),
  reason: z.enum(LeftReason),
  endedAt: z.number(),
}) satisfies z.ZodType<EndedChat>;

/** Decodes the stored form; undefined when there is none or it is malformed. */
export function decodeEndedChat(raw: string | undefined): EndedChat | undefined {
  if (!raw) return undefined;
  try {
    const parsed = endedChatSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined; // not JSON
  }
}
