-- Deletes a stream only if its newest entry is older than the retention, by the Redis clock
-- that stamped it: a write that lands just before the delete keeps the stream (one key, so the
-- check and the delete are one step on a cluster too). Used for a dead gateway's streams.
-- KEYS[1] stream   ARGV[1] retention (ms)
-- Returns {status, newest entry's ms (0 if none)}; codes named in
-- packages/redis/src/replies.ts: StreamDropIdleReply.
if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0} end
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local newest = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local ms = 0
-- Stream ids are "<ms>-<seq>"; an empty stream holds nothing to lose.
if newest[1] then ms = tonumber(string.match(newest[1][1], '^(%d+)')) end
if now - ms < tonumber(ARGV[1]) then return {2, ms} end
redis.call('DEL', KEYS[1])
return {1, ms}
