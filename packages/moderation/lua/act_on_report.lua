-- Decides an open report: dismiss, ban or shadow-ban. Atomic: the report's status and
-- indexes, the ban (with its entry on the ban stream), the audit entry and the counter.
-- KEYS[1] report hash          KEYS[2] open index          KEYS[3] open index of its category
-- KEYS[4] new status index     KEYS[5] new status index of its category
-- KEYS[6] ban hash             KEYS[7] bans in force       KEYS[8] ban stream
-- KEYS[9] audit stream         KEYS[10] stats hash
-- ARGV[1] report id   ARGV[2] new status   ARGV[3] action JSON   ARGV[4] audit JSON
-- ARGV[5] stats field ARGV[6] ban id ('' = no ban)   ARGV[7] ban JSON
-- ARGV[8] ban score (until ms, or '+inf')   ARGV[9] ban key PEXPIREAT ('' = none)
-- ARGV[10] ban stream MAXLEN (approximate)
-- Returns 1 done, 0 no such report, -1 already decided.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if redis.call('HGET', KEYS[1], 'status') ~= 'open' then return -1 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'action', ARGV[3])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
redis.call('ZADD', KEYS[5], 0, ARGV[1])
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[6], 'record', ARGV[7])
  if ARGV[9] ~= '' then redis.call('PEXPIREAT', KEYS[6], ARGV[9]) end
  redis.call('ZADD', KEYS[7], ARGV[8], ARGV[6])
  redis.call('XADD', KEYS[8], 'MAXLEN', '~', ARGV[10], '*', 't', 'add', 'ban', ARGV[7])
end
redis.call('XADD', KEYS[9], '*', 'entry', ARGV[4])
redis.call('HINCRBY', KEYS[10], ARGV[5], 1)
return 1
