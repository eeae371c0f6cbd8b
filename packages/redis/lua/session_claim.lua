-- Moves a session's ownership to a gateway that a client resumed on (compare-and-set).
-- KEYS[1] session hash      sess:{<sid>}
-- KEYS[2] orphan deadlines  sessions:orphans   (sid -> grace deadline, ms)
-- ARGV[1] session id   ARGV[2] resume token   ARGV[3] expected current owner ('' = orphan)
-- ARGV[4] new owner
-- Returns 1 claimed; 0 unknown session or wrong token; -1 the owner is not the expected one
-- (or the orphan was already finalized), so the caller must look again.
local fields = redis.call('HMGET', KEYS[1], 'token', 'owner')
if not fields[1] or fields[1] ~= ARGV[2] then return 0 end
if (fields[2] or '') ~= ARGV[3] then return -1 end
if ARGV[3] == '' then
  -- An orphan belongs to whoever removes it from the deadline set first: us, or the reaper.
  if redis.call('ZREM', KEYS[2], ARGV[1]) == 0 then return -1 end
end
redis.call('HSET', KEYS[1], 'owner', ARGV[4], 'detached', '0')
return 1
