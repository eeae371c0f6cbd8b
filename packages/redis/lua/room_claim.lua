-- Claims a shared-room name for one gateway instance and announces it, atomically: of two
-- gateways racing for one name, exactly one wins and only that one announces. Names are
-- unique by their folded form (look-alikes and case: apps/gateway/src/room/name-fold.ts);
-- `chat-users` keeps them as typed.
-- KEYS[1] connected names (SET)         chat-users
-- KEYS[2] folded name → owner (HASH)    {chat-users}:owners
-- KEYS[3] the owner's names (SET)       {chat-users}:of:<owner>
-- KEYS[4] owners holding names (SET)    {chat-users}:gateways
-- KEYS[5] room events (STREAM)          {chat-users}:events
-- ARGV[1] name   ARGV[2] owner ("<gateway id>|<boot id>")   ARGV[3] events max length
-- ARGV[4] the name folded
-- Returns {1, id} claimed, `id` is the join event's stream id; {2, ''} already this owner's
-- (a re-claim after a liveness lapse found nothing to repair); {0, ''} taken by another owner.
-- Reply codes named in packages/redis/src/replies.ts: RoomClaimReply.
local holder = redis.call('HGET', KEYS[2], ARGV[4])
if holder then
  if holder == ARGV[2] then return {2, ''} end
  return {0, ''}
end
if redis.call('SADD', KEYS[1], ARGV[1]) == 0 then return {0, ''} end
redis.call('HSET', KEYS[2], ARGV[4], ARGV[2])
redis.call('SADD', KEYS[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[2])
local id = redis.call('XADD', KEYS[5], 'MAXLEN', '~', ARGV[3], '*', 't', 'join', 'name', ARGV[1])
return {1, id}
