-- Files the one appeal a ban may have, while the ban is in force.
-- KEYS[1] ban hash   KEYS[2] bans in force   KEYS[3] appeal hash   KEYS[4] open appeals index
-- KEYS[5] audit stream   KEYS[6] stats hash
-- ARGV[1] ban id   ARGV[2] appeal id   ARGV[3] appeal JSON   ARGV[4] audit JSON   ARGV[5] now (ms)
-- ARGV[6] appeal key PEXPIREAT
-- Returns 1 filed, 0 no such ban, -1 ban not in force, -2 already appealed.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local untilScore = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not untilScore or tonumber(untilScore) <= tonumber(ARGV[5]) then return -1 end
if redis.call('HSETNX', KEYS[1], 'appeal', ARGV[2]) == 0 then return -2 end
redis.call('HSET', KEYS[3], 'record', ARGV[3], 'status', 'open')
redis.call('PEXPIREAT', KEYS[3], ARGV[6])
redis.call('ZADD', KEYS[4], 0, ARGV[2])
redis.call('XADD', KEYS[5], '*', 'entry', ARGV[4])
redis.call('HINCRBY', KEYS[6], 'appeals:created', 1)
return 1
