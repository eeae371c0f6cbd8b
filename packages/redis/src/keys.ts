/**
 * Every Redis key and stream name the product uses, in one place.
 *
 * Hash tags (`{…}`) decide the Redis Cluster slot. Keys that one Lua script or one
 * MULTI touches share a tag:
 * - `{m}` is the matcher's slot: its event stream, queue, pairing memory and the
 *   control inboxes it writes pair assignments to. One writer, one deliberate hot spot.
 * - `{b<n>}` is a chat bucket: a chat's hash and history and each gateway's message
 *   inbox for that bucket, so the send script stays single-slot. With one bucket (the
 *   default, single Redis) every gateway reads one message inbox; a cluster spreads
 *   chats over many buckets.
 * - `{chat-users}` is the shared room's slot (`chat-users` itself is fixed by PROTOCOL.md).
 * - `sess:{<sid>}`: each session record is its own slot; every other key is touched by
 *   single-key commands only, so its slot does not matter.
 */
const MATCHER = '{m}';

export const keys = {
  /** Stream: gateway → matcher events (join, cancel, park, rematch, reported). Consumer group `matchers`. */
  matcherEvents: `${MATCHER}:events`,
  /** Hash: session id → JSON of its waiting entry; the durable copy of the matcher queue. */
  matcherQueue: `${MATCHER}:queue`,
  /** Sorted set: "a|b" session pair → until (ms): a `next` cool-down or a report block. */
  matcherApart: `${MATCHER}:apart`,
  /** Sorted set: "<ipHash>|<event id>" → when (ms): reports against a hashed client address. */
  matcherReports: `${MATCHER}:reports`,
  /** Sorted set: hashed client address → until (ms) it is only matched with other flagged ones. */
  matcherFlagged: `${MATCHER}:flagged`,
  /** Hash: ended chat id → JSON of its pending rematch (who asked, the window's end). */
  matcherRematch: `${MATCHER}:rematch`,
  /** String: the active matcher's lease, "<matcher id>|<fencing token>", PX TTL renewed by its holder. */
  matcherLeader: `${MATCHER}:leader`,
  /** Counter: INCR'd on every lease acquisition; the new value is the holder's fencing token. */
  matcherLeaderEpoch: `${MATCHER}:leader:epoch`,
  /** Stream: matcher → one gateway, pair assignments and rematch offers for its sessions (and gateway ↔ gateway handoffs). */
  gatewayControl: (gatewayId: string) => `${MATCHER}:ctl:${gatewayId}`,

  /** Hash: a chat's members, their gateways, the `seq` counter and the `ended` marker. */
  chat: (chatId: string) => `${bucketTag(chatId)}:chat:${chatId}`,
  /** Stream: a chat's stored messages, kept for resume, bounded. */
  chatLog: (chatId: string) => `${bucketTag(chatId)}:chat:${chatId}:log`,
  /** Stream: partner messages, typing and partner_left for one gateway's sessions in one bucket. */
  gatewayInbox: (bucket: number, gatewayId: string) => `{b${bucket}}:inbox:${gatewayId}`,

  /**
   * Hash: one `/ws` session's state (owner boot, resume token, state, gen, interests,
   * chat link), written by the gateway that owns it so any gateway can resume it.
   */
  session: (sessionId: string) => `sess:{${sessionId}}`,
  /** String: resume token → session id. Same lifetime as the session hash. */
  resumeToken: (token: string) => `resume:${token}`,
  /** Set: the sessions a gateway boot (`<gateway>|<boot>`) owns; read when that boot dies. */
  sessionsOf: (owner: string) => `sessions:of:${owner}`,
  /** Set: every gateway boot that owns sessions, scanned for dead ones. */
  sessionOwners: 'sessions:owners',
  /**
   * Sorted set: orphaned session id → end of its resume grace (ms), one of
   * `ORPHAN_INDEX_SHARDS` shards picked by `orphanShard(sid)`. Only an index for the reapers:
   * the truth is the `orphan` field of the session hash (single-slot scripts decide who takes
   * an orphan), so a stale or missing entry is harmless (see apps/gateway/src/chat/session-store.ts).
   */
  sessionOrphans: (shard: number) => `sessions:orphans:${shard}`,

  /** Hash: gateway id → "<sessions>|<unix ms>", summed for the `online` figure. */
  onlineCounts: 'gateways:online',

  /** String: this gateway's boot id, with a short PX TTL refreshed every second; gone = dead. */
  gatewayAlive: (gatewayId: string) => `gateway:alive:${gatewayId}`,
  /**
   * Sorted set: gateway id → when (ms, its clock) it last refreshed its liveness key, written
   * on every liveness tick. The list of gateway ids whose streams (`gatewayControl`,
   * `gatewayInbox`) may exist, read by the dead-gateway stream sweep
   * (apps/gateway/src/cluster/dead-gateway-sweep.ts) instead of a SCAN, which a cluster would
   * need on every node; an id leaves it once its streams are gone.
   */
  gatewaysSeen: 'gateways:seen',
  /**
   * String: "<gateway id>|<ms>", the gateway that runs this period's dead-gateway stream sweep
   * and when it began (SET NX, PX one period): one sweeper per period, not one per gateway.
   */
  deadGatewaySweep: 'gateways:sweep',

  // Shared room (`/chat/{user}`). `chat-users` is fixed by PROTOCOL.md; the rest carry its
  // name as hash tag so the claim and release scripts stay single-slot on a cluster.
  /** Set: the names connected to the room, on any gateway. */
  roomUsers: 'chat-users',
  /** Hash: name → owner (`<gateway id>|<boot id>`) holding it. */
  roomOwners: '{chat-users}:owners',
  /** Set: the names one owner holds; what a sweeper releases when that owner dies. */
  roomOwnerNames: (owner: string) => `{chat-users}:of:${owner}`,
  /** Set: the owners holding at least one name; what the sweeper checks for liveness. */
  roomOwnerSet: '{chat-users}:gateways',
  /** Stream: room events (join, msg, left), read by every gateway, bounded. */
  roomEvents: '{chat-users}:events',
} as const;

/** Chat ids are `<bucket>.<random>`: the bucket is readable from the id alone. */
export function chatBucket(chatId: string): number {
  const dot = chatId.indexOf('.');
  const bucket = dot > 0 ? Number(chatId.slice(0, dot)) : 0;
  return Number.isInteger(bucket) && bucket >= 0 ? bucket : 0;
}

function bucketTag(chatId: string): string {
  return `{b${chatBucket(chatId)}}`;
}

export const MATCHER_GROUP = 'matchers';

/** Shards of the orphan index: spread over a cluster's nodes, few enough to scan every tick. */
export const ORPHAN_INDEX_SHARDS = 8;

/** The orphan index shard of a session (FNV-1a of its id). */
export function orphanShard(sessionId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sessionId.length; i++) hash = Math.imul(hash ^ sessionId.charCodeAt(i), 0x01000193);
  return (hash >>> 0) % ORPHAN_INDEX_SHARDS;
}

/**
 * Chat buckets when CHAT_BUCKETS is unset: one on a single Redis (every gateway reads one
 * message inbox), 16 on a cluster so chats spread over its shards (each gateway then reads
 * 16 inboxes). Gateways and matcher must agree; both derive it from the same REDIS_URL.
 */
export function defaultChatBuckets(cluster: boolean): number {
  return cluster ? 16 : 1;
}
