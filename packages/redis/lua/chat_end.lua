-- Ends a chat once, tells the partner's gateway, and drops the history.
-- KEYS[1] chat hash            {b<n>}:chat:<id>
-- KEYS[2] chat history stream  {b<n>}:chat:<id>:log
-- KEYS[3] partner's inbox      {b<n>}:inbox:<gateway the ender believes the partner is on>
-- ARGV[1] chat id      ARGV[2] ender session id   ARGV[3] ender gateway id
-- ARGV[4] partner id   ARGV[5] partner gateway id (as in KEYS[3])
-- ARGV[6] reason (left | next | disconnected | reported)
-- ARGV[7] inbox max length   ARGV[8] TTL (s) the ended marker is kept
-- Returns {1, ''} ended now; {0, reason} had already ended; {-1, gateway} the partner is on
-- another gateway (retry with that inbox).
-- Reply codes named in packages/redis/src/replies.ts: ChatEndReply.
local chat = KEYS[1]
if redis.call('EXISTS', chat) == 0 then
  redis.call('HSET', chat, 'seq', 0, 'gw:' .. ARGV[2], ARGV[3], 'gw:' .. ARGV[4], ARGV[5])
end
local fields = redis.call('HMGET', chat, 'ended', 'gw:' .. ARGV[4])
if fields[1] then return {0, fields[1]} end
if fields[2] ~= ARGV[5] then return {-1, fields[2] or ''} end
redis.call('HSET', chat, 'ended', ARGV[6])
-- The marker outlives the chat briefly so late sends get a clear "ended" answer.
redis.call('EXPIRE', chat, ARGV[8])
redis.call('DEL', KEYS[2])
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[7], '*',
  't', 'left', 'to', ARGV[4], 'chat', ARGV[1], 'reason', ARGV[6], 'by', ARGV[2])
return {1, ''}
