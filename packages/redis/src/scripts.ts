import { readFileSync } from 'node:fs';
import type { Result } from 'ioredis';
import type { Redis } from './client.js';
import type {
  ChatEndReply,
  ChatMoveReply,
  ChatSendReply,
  ChatSignalReply,
  OrphanIndexDropReply,
  ReplyStatus,
  RoomClaimReply,
  RoomReleaseReply,
  SessionAssignReply,
  SessionClaimReply,
  SessionOrphanReply,
  SessionReapReply,
  StreamDropIdleReply,
} from './replies.js';

/** Lua sources live beside `src/` and `dist/` alike, so one relative path serves both. */
function lua(name: string): string {
  return readFileSync(new URL(`../lua/${name}.lua`, import.meta.url), 'utf8');
}

const scripts = {
  chatSend: { numberOfKeys: 3, lua: lua('chat_send') },
  chatEnd: { numberOfKeys: 3, lua: lua('chat_end') },
  chatMove: { numberOfKeys: 2, lua: lua('chat_move') },
  chatSignal: { numberOfKeys: 2, lua: lua('chat_signal') },
  chatTouch: { numberOfKeys: 2, lua: lua('chat_touch') },
  sessionCreate: { numberOfKeys: 1, lua: lua('session_create') },
  sessionClaim: { numberOfKeys: 1, lua: lua('session_claim') },
  sessionOrphan: { numberOfKeys: 1, lua: lua('session_orphan') },
  sessionReap: { numberOfKeys: 1, lua: lua('session_reap') },
  sessionAssign: { numberOfKeys: 1, lua: lua('session_assign') },
  orphanIndexDrop: { numberOfKeys: 1, lua: lua('orphan_index_drop') },
  streamDropIdle: { numberOfKeys: 1, lua: lua('stream_drop_idle') },
  roomClaim: { numberOfKeys: 5, lua: lua('room_claim') },
  roomRelease: { numberOfKeys: 5, lua: lua('room_release') },
} as const;

/**
 * Registers every script once per client; ioredis then uses EVALSHA with a NOSCRIPT fallback
 * (on a cluster, per node: a promoted replica that never saw the script gets it on first use).
 */
export function registerScripts(client: Redis): void {
  for (const [name, script] of Object.entries(scripts)) client.defineCommand(name, script);
}

/** A script reply: a status (named in replies.ts) and a string or number detail. */
export type ScriptReply<Status extends number = number> = [Status, string | number];

declare module 'ioredis' {
  interface RedisCommander<Context> {
    /** See lua/chat_move.lua. */
    chatMove(
      chatKey: string,
      chatLogKey: string,
      sessionId: string,
      gatewayId: string,
      lastSeq: number,
      partnerId: string,
      partnerGateway: string,
      chatTtlSeconds: number,
    ): Result<[ReplyStatus<typeof ChatMoveReply>, ...(number | string)[]], Context>;
    /** See lua/chat_touch.lua: 1 renewed, 0 ended. */
    chatTouch(chatKey: string, chatLogKey: string, chatTtlSeconds: number): Result<0 | 1, Context>;
    /** See lua/session_create.lua: `fields` are field, value, field, value, … */
    sessionCreate(sessionKey: string, ttlSeconds: number, ...fields: string[]): Result<1, Context>;
    /** See lua/session_claim.lua. */
    sessionClaim(
      sessionKey: string,
      sessionId: string,
      resumeToken: string,
      expectedOwner: string,
      newOwner: string,
    ): Result<ReplyStatus<typeof SessionClaimReply>, Context>;
    /** See lua/session_orphan.lua. */
    sessionOrphan(sessionKey: string, sessionId: string, expectedOwner: string, deadline: number): Result<ReplyStatus<typeof SessionOrphanReply>, Context>;
    /** See lua/session_reap.lua. */
    sessionReap(sessionKey: string, now: number): Result<ReplyStatus<typeof SessionReapReply>, Context>;
    /** See lua/session_assign.lua. */
    sessionAssign(
      sessionKey: string,
      expectedOwner: string,
      gen: number,
      chatId: string,
      partnerId: string,
      partnerGateway: string,
      sharedInterests: string,
    ): Result<ReplyStatus<typeof SessionAssignReply>, Context>;
    /** See lua/orphan_index_drop.lua. */
    orphanIndexDrop(indexKey: string, sessionId: string, score: number | string): Result<ReplyStatus<typeof OrphanIndexDropReply>, Context>;
    /** See lua/stream_drop_idle.lua. */
    streamDropIdle(streamKey: string, retentionMs: number): Result<[ReplyStatus<typeof StreamDropIdleReply>, number], Context>;
    /** See lua/chat_send.lua. */
    chatSend(
      chatKey: string,
      chatLogKey: string,
      partnerInboxKey: string,
      chatId: string,
      senderId: string,
      senderGateway: string,
      partnerId: string,
      partnerGateway: string,
      text: string,
      ts: number,
      historyMaxLength: number,
      inboxMaxLength: number,
      chatTtlSeconds: number,
      historyMaxBytes: number,
    ): Result<ScriptReply<ReplyStatus<typeof ChatSendReply>>, Context>;
    /** See lua/chat_signal.lua. */
    chatSignal(
      chatKey: string,
      partnerInboxKey: string,
      chatId: string,
      senderId: string,
      partnerId: string,
      partnerGateway: string,
      kind: 'signal' | 'resync',
      data: string,
      inboxMaxLength: number,
    ): Result<ScriptReply<ReplyStatus<typeof ChatSignalReply>>, Context>;
    /** See lua/chat_end.lua. */
    chatEnd(
      chatKey: string,
      chatLogKey: string,
      partnerInboxKey: string,
      chatId: string,
      enderId: string,
      enderGateway: string,
      partnerId: string,
      partnerGateway: string,
      reason: string,
      inboxMaxLength: number,
      endedTtlSeconds: number,
    ): Result<ScriptReply<ReplyStatus<typeof ChatEndReply>>, Context>;
    /** KEYS: users, owners, owner's names, owner set, events (see lua/room_claim.lua). */
    roomClaim(
      usersKey: string,
      ownersKey: string,
      ownerNamesKey: string,
      ownerSetKey: string,
      eventsKey: string,
      name: string,
      owner: string,
      eventsMaxLength: number,
      foldedName: string,
    ): Result<ScriptReply<ReplyStatus<typeof RoomClaimReply>>, Context>;
    /** Same keys and arguments as `roomClaim` (see lua/room_release.lua). */
    roomRelease(
      usersKey: string,
      ownersKey: string,
      ownerNamesKey: string,
      ownerSetKey: string,
      eventsKey: string,
      name: string,
      owner: string,
      eventsMaxLength: number,
      foldedName: string,
    ): Result<ScriptReply<ReplyStatus<typeof RoomReleaseReply>>, Context>;
  }
}
