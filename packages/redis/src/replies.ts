/**
 * The status codes each Lua script (lua/*.lua) answers with, named. Scripts return bare
 * numbers; callers compare against these, and scripts.ts types each reply with them.
 */

/** lua/chat_send.lua: `{status, detail}`. */
export const ChatSendReply = {
  /** detail: the message's seq. */
  stored: 1,
  /** detail: why the chat ended. */
  ended: 0,
  /** detail: the gateway the partner is on now (retry with its inbox). */
  partnerMoved: -1,
  /** The sender is not a member of this chat. */
  notMember: -2,
} as const;

/** lua/chat_signal.lua: `{status, detail}`. */
export const ChatSignalReply = {
  /** Appended to the partner's inbox. */
  handedOn: 1,
  /** detail: why the chat ended. */
  ended: 0,
  /** detail: the gateway the partner is on now (retry with its inbox). */
  partnerMoved: -1,
  /** The sender is not a member of this chat. */
  notMember: -2,
} as const;

/** lua/chat_end.lua: `{status, detail}`. */
export const ChatEndReply = {
  endedNow: 1,
  /** detail: the reason it had ended with. */
  alreadyEnded: 0,
  /** detail: the gateway the partner is on now (retry with its inbox). */
  partnerMoved: -1,
} as const;

/** lua/chat_move.lua: `{status, …}`. */
export const ChatMoveReply = {
  /** Followed by recovered (1/0: nothing after the given seq was trimmed), then seq, ts, text triples: the partner's messages after it. */
  moved: 1,
  /** Followed by why the chat ended. */
  ended: 0,
  notMember: -2,
} as const;

/** lua/session_claim.lua. */
export const SessionClaimReply = {
  claimed: 1,
  /** Unknown session or wrong token. */
  unknown: 0,
  /** The owner is not the expected one (or the orphan was already taken): look again. */
  ownerChanged: -1,
} as const;

/** lua/session_orphan.lua. */
export const SessionOrphanReply = {
  orphaned: 1,
  /** Gone, or owned by someone else now. */
  notOwner: 0,
} as const;

/** lua/session_reap.lua. */
export const SessionReapReply = {
  /** The orphan is ours to end now (its marker is removed). */
  take: 1,
  /** Not an orphan (gone, claimed, never orphaned): drop the index entry. */
  notOrphan: 0,
  /** Still an orphan, but its (newer) deadline has not passed: keep the entry. */
  later: -1,
} as const;

/** lua/session_assign.lua. */
export const SessionAssignReply = {
  stored: 1,
  /** Not that owner's, or not waiting with that gen. */
  notWaiting: 0,
} as const;

/** lua/orphan_index_drop.lua. */
export const OrphanIndexDropReply = {
  dropped: 1,
  /** Absent, or re-scored meanwhile. */
  kept: 0,
} as const;

/** lua/stream_drop_idle.lua: `{status, newest entry's ms}`. */
export const StreamDropIdleReply = {
  /** No such stream. */
  absent: 0,
  deleted: 1,
  /** Its newest entry is within the retention. */
  kept: 2,
} as const;

/** lua/room_claim.lua: `{status, detail}`. */
export const RoomClaimReply = {
  /** detail: the join event's stream id. */
  claimed: 1,
  /** Already this owner's. */
  held: 2,
  taken: 0,
} as const;

/** lua/room_release.lua: `{status, detail}`. */
export const RoomReleaseReply = {
  /** detail: the leave event's stream id. */
  released: 1,
  notOwner: 0,
} as const;

/** The status union of one reply table. */
export type ReplyStatus<T extends Record<string, number>> = T[keyof T];
