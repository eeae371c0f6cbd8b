-- Marks a session as owned by nobody, to be resumed anywhere or reaped at its deadline.
-- Single-slot: the marker (`orphan` = grace deadline, ms) lives in the session hash; the
-- caller adds the session to an orphan index shard *before* this (see apps/gateway/src/chat/session-store.ts).
-- KEYS[1] session hash      sess:{<sid>}
-- Record fields (SessionField, packages/redis/src/session-record.ts): owner, detached, orphan
-- ARGV[1] session id   ARGV[2] expected owner   ARGV[3] grace deadline (ms)
-- Returns 1 orphaned; 0 the session is gone or owned by someone else now.
-- Reply codes named in packages/redis/src/replies.ts: SessionOrphanReply.
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner or owner ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'owner', '', 'detached', '1', 'orphan', ARGV[3])
return 1
