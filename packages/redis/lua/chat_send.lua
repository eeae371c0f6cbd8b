-- Stores one chat message and hands it to the partner's gateway, atomically.
-- KEYS[1] chat hash            {b<n>}:chat:<id>
-- KEYS[2] chat history stream  {b<n>}:chat:<id>:log
-- KEYS[3] partner's inbox      {b<n>}:inbox:<gateway the sender believes the partner is on>
-- ARGV[1] chat id       ARGV[2] sender session id   ARGV[3] sender gateway id
-- ARGV[4] partner id    ARGV[5] partner gateway id (as in KEYS[3])
-- ARGV[6] text          ARGV[7] timestamp (ms)      ARGV[8] history max length
-- ARGV[9] inbox max length   ARGV[10] chat TTL (s)   ARGV[11] history max bytes (of text)
-- The history is bounded exactly, in messages and in bytes of text (the chat hash's `hbytes`
-- counts what it holds): the oldest entries go first, never the one just stored.
-- Returns {1, seq} stored; {0, reason} the chat has ended; {-1, gateway} the partner is on
-- another gateway (retry with that inbox); {-2, ''} the sender is not in this chat.
-- Reply codes named in packages/redis/src/replies.ts: ChatSendReply.
local chat = KEYS[1]
-- One read answers the common case; the rare first message pays for an EXISTS.
local fields = redis.call('HMGET', chat, 'ended', 'gw:' .. ARGV[2], 'gw:' .. ARGV[4])
if fields[1] then return {0, fields[1]} end
if not fields[2] then
  if redis.call('EXISTS', chat) == 1 then return {-2, ''} end
  -- First use of the chat: both sides got the same assignment from the matcher.
  redis.call('HSET', chat, 'seq', 0, 'gw:' .. ARGV[2], ARGV[3], 'gw:' .. ARGV[4], ARGV[5])
  redis.call('EXPIRE', chat, ARGV[10])
  fields[3] = ARGV[5]
end
if fields[3] ~= ARGV[5] then return {-1, fields[3] or ''} end
local seq = redis.call('HINCRBY', chat, 'seq', 1)
redis.call('XADD', KEYS[2], '*', 'seq', seq, 'from', ARGV[2], 'text', ARGV[6], 'ts', ARGV[7])
local bytes = redis.call('HINCRBY', chat, 'hbytes', #ARGV[6])
local maxCount, maxBytes = tonumber(ARGV[8]), tonumber(ARGV[11])
local count = redis.call('XLEN', KEYS[2])
while count > 1 and (count > maxCount or bytes > maxBytes) do
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  local f = oldest[2]
  for i = 1, #f, 2 do
    if f[i] == 'text' then bytes = bytes - #f[i + 1] end
  end
  redis.call('XDEL', KEYS[2], oldest[1])
  count = count - 1
end
redis.call('HSET', chat, 'hbytes', bytes)
-- A live chat never expires under its members: once half its TTL is gone (or, on the first
-- message, the history has none yet), the chat and its history get the whole TTL again.
if redis.call('TTL', KEYS[2]) < ARGV[10] / 2 then
  redis.call('EXPIRE', chat, ARGV[10])
  redis.call('EXPIRE', KEYS[2], ARGV[10])
end
redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[9], '*',
  't', 'msg', 'to', ARGV[4], 'chat', ARGV[1], 'seq', seq, 'text', ARGV[6], 'ts', ARGV[7])
return {1, seq}
