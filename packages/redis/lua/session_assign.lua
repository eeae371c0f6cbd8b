-- Stores a pair assignment in the record of a session no live gateway holds (an orphan, or
-- one whose gateway died before reading the assignment), if it is still waiting for it: its
-- resume then lands in the chat, and its reaper ends the chat, telling the partner.
-- Single-slot, and a compare-and-set on the owner, so a resume that claimed the session
-- meanwhile (and re-joined from the record) is never overwritten.
-- KEYS[1] session hash      sess:{<sid>}
-- Record fields (SessionField, packages/redis/src/session-record.ts): owner, state, gen, chat, partner, pgw, cint, left
-- ARGV[1] expected owner ('' = orphan, or the dead boot '<gateway>|<boot>')
-- ARGV[2] the assignment's gen   ARGV[3] chat id   ARGV[4] partner session id
-- ARGV[5] partner gateway id     ARGV[6] shared interests (JSON list)
-- Returns 1 stored; 0 not that owner's, or not waiting with that gen (gone, paired, re-joined).
-- Reply codes named in packages/redis/src/replies.ts: SessionAssignReply.
local fields = redis.call('HMGET', KEYS[1], 'owner', 'state', 'gen')
if fields[1] ~= ARGV[1] or fields[2] ~= 'waiting' or fields[3] ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'paired', 'chat', ARGV[3], 'partner', ARGV[4], 'pgw', ARGV[5], 'cint', ARGV[6], 'left', '')
return 1
