-- Releases a shared-room name and announces the departure, once: only while the name is
-- still held by the given owner, so a disconnect and any number of sweepers racing over a
-- dead gateway's names publish exactly one "left" between them.
-- KEYS[1] connected names (SET)         chat-users
-- KEYS[2] folded name → owner (HASH)    {chat-users}:owners
-- KEYS[3] the owner's names (SET)       {chat-users}:of:<owner>
-- KEYS[4] owners holding names (SET)    {chat-users}:gateways
-- KEYS[5] room events (STREAM)          {chat-users}:events
-- ARGV[1] name   ARGV[2] owner ("<gateway id>|<boot id>")   ARGV[3] events max length
-- ARGV[4] the name folded
-- Returns {1, id} released, `id` is the leave event's stream id; {0, ''} not this owner's.
-- Reply codes named in packages/redis/src/replies.ts: RoomReleaseReply.
redis.call('SREM', KEYS[3], ARGV[1])
if redis.call('SCARD', KEYS[3]) == 0 then redis.call('SREM', KEYS[4], ARGV[2]) end
if redis.call('HGET', KEYS[2], ARGV[4]) ~= ARGV[2] then return {0, ''} end
redis.call('HDEL', KEYS[2], ARGV[4])
redis.call('SREM', KEYS[1], ARGV[1])
local id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 't', 'left', 'name', ARGV[1])
return {1, id}
