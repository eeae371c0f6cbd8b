-- Decides an open appeal: uphold (the ban stays) or lift (the ban is lifted as lift_ban.lua
-- does, if it is still in force).
-- KEYS[1] appeal hash   KEYS[2] open appeals index   KEYS[3] index of the new status
-- KEYS[4] ban hash   KEYS[5] bans in force   KEYS[6] ban stream   KEYS[7] audit stream   KEYS[8] stats hash
-- ARGV[1] appeal id   ARGV[2] new status (upheld|lifted)   ARGV[3] decision JSON   ARGV[4] audit JSON
-- ARGV[5] ban id   ARGV[6] now (ms)   ARGV[7] by   ARGV[8] reason   ARGV[9] stream MAXLEN
-- Returns 1 decided (ban lifted if asked), 2 decided "lifted" but the ban was no longer in force,
-- 0 no such appeal, -1 already decided.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return -1 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'decision', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
redis.call('XADD', KEYS[7], '*', 'entry', ARGV[4])
redis.call('HINCRBY', KEYS[8], 'appeals:' .. ARGV[2], 1)
if ARGV[2] ~= 'lifted' then return 1 end
local untilScore = redis.call('ZSCORE', KEYS[5], ARGV[5])
if not untilScore or redis.call('HEXISTS', KEYS[4], 'liftedAt') == 1 or tonumber(untilScore) <= tonumber(ARGV[6]) then
  return 2
end
redis.call('HSET', KEYS[4], 'liftedAt', ARGV[6], 'liftedBy', ARGV[7], 'liftReason', ARGV[8])
redis.call('ZREM', KEYS[5], ARGV[5])
redis.call('XADD', KEYS[6], 'MAXLEN', '~', ARGV[9], '*', 't', 'lift', 'ban', ARGV[5])
redis.call('HINCRBY', KEYS[8], 'actions:lift', 1)
return 1
