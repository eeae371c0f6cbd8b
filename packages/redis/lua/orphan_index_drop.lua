-- Drops an orphan index entry only if it is the one the reaper looked at: a gateway may have
-- re-added the session with a new deadline meanwhile, and that entry must stay. The
-- dead-gateway stream sweep drops a `gateways:seen` entry the same way (a gateway that came
-- back under that id has re-scored it).
-- KEYS[1] orphan index shard   sessions:orphans:<k>
-- ARGV[1] session id   ARGV[2] the score (deadline, ms) the reaper read
-- Returns 1 dropped; 0 absent or re-scored.
-- Reply codes named in packages/redis/src/replies.ts: OrphanIndexDropReply.
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score or tonumber(score) ~= tonumber(ARGV[2]) then return 0 end
return redis.call('ZREM', KEYS[1], ARGV[1])
