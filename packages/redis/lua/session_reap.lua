-- Finalizes an orphan whose grace ran out: the reaper's side of the race with a resume.
-- Whoever removes the `orphan` marker first owns the orphan (session_claim does the same).
-- KEYS[1] session hash      sess:{<sid>}
-- Record fields (SessionField, packages/redis/src/session-record.ts): owner, orphan
-- ARGV[1] now (ms)
-- Returns 1 ours to end now; -1 still an orphan but its (newer) deadline has not passed,
-- keep the index entry; 0 not an orphan (gone, claimed, or never orphaned): drop the entry.
-- Reply codes named in packages/redis/src/replies.ts: SessionReapReply.
local fields = redis.call('HMGET', KEYS[1], 'owner', 'orphan')
if not fields[1] or fields[1] ~= '' or not fields[2] then return 0 end
if tonumber(fields[2]) > tonumber(ARGV[1]) then return -1 end
redis.call('HDEL', KEYS[1], 'orphan')
return 1
