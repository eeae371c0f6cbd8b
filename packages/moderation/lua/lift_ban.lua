-- Lifts a ban in force: marks it, drops it from the in-force set, tells the gateways (ban
-- stream) and records who and why (audit). Also the "lift" branch of decide_appeal.lua.
-- KEYS[1] ban hash   KEYS[2] bans in force   KEYS[3] ban stream   KEYS[4] audit stream   KEYS[5] stats hash
-- ARGV[1] ban id   ARGV[2] now (ms)   ARGV[3] by   ARGV[4] reason   ARGV[5] audit JSON   ARGV[6] stream MAXLEN
-- Returns 1 lifted, 0 no such ban, -1 not in force (lifted already, or expired).
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local untilScore = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not untilScore or redis.call('HEXISTS', KEYS[1], 'liftedAt') == 1 or tonumber(untilScore) <= tonumber(ARGV[2]) then
  return -1
end
redis.call('HSET', KEYS[1], 'liftedAt', ARGV[2], 'liftedBy', ARGV[3], 'liftReason', ARGV[4])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 't', 'lift', 'ban', ARGV[1])
redis.call('XADD', KEYS[4], '*', 'entry', ARGV[5])
redis.call('HINCRBY', KEYS[5], 'actions:lift', 1)
return 1
