-- Marks a session as owned by nobody, to be resumed anywhere or reaped at its deadline.
-- KEYS[1] session hash      sess:{<sid>}
-- KEYS[2] orphan deadlines  sessions:orphans
-- ARGV[1] session id   ARGV[2] expected owner   ARGV[3] grace deadline (ms)
-- Returns 1 orphaned; 0 the session is gone or owned by someone else now.
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner or owner ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'owner', '', 'detached', '1')
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
return 1
