-- Takes the active matcher's lease if nobody holds it (see src/leadership/lease.ts).
-- KEYS[1] the lease ({m}:leader)   KEYS[2] the epoch counter ({m}:leader:epoch)
-- ARGV[1] the matcher id           ARGV[2] the lease TTL (ms)
-- Returns the lease value taken, "<matcher id>|<fencing token>", or false when someone holds it.
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
local token = redis.call('INCR', KEYS[2])
local value = ARGV[1] .. '|' .. token
redis.call('SET', KEYS[1], value, 'PX', ARGV[2])
return value
