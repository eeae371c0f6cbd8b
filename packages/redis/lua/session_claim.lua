-- Moves a session's ownership to a gateway that a client resumed on (compare-and-set).
-- Single-slot: touches the session hash only (the orphan index is a hint, see session_reap).
-- KEYS[1] session hash      sess:{<sid>}
-- Record fields (SessionField, packages/redis/src/session-record.ts): token, ptoken, owner, orphan, detached
-- ARGV[1] session id   ARGV[2] resume token (the current or the previous one)
-- ARGV[3] expected current owner ('' = orphan)
-- ARGV[4] new owner
-- Returns 1 claimed; 0 unknown session or wrong token; -1 the owner is not the expected one
-- (or the orphan was already finalized), so the caller must look again.
-- Reply codes named in packages/redis/src/replies.ts: SessionClaimReply.
local fields = redis.call('HMGET', KEYS[1], 'token', 'owner', 'ptoken')
if not fields[1] or ARGV[2] == '' or (fields[1] ~= ARGV[2] and fields[3] ~= ARGV[2]) then return 0 end
if (fields[2] or '') ~= ARGV[3] then return -1 end
if ARGV[3] == '' then
  -- An orphan belongs to whoever removes its `orphan` marker first: us, or the reaper.
  if redis.call('HDEL', KEYS[1], 'orphan') == 0 then return -1 end
end
redis.call('HSET', KEYS[1], 'owner', ARGV[4], 'detached', '0')
return 1
