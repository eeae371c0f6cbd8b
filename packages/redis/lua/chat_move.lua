-- Points a chat at the gateway a member resumed on, and returns what it missed.
-- KEYS[1] chat hash            {b<n>}:chat:<id>
-- KEYS[2] chat history stream  {b<n>}:chat:<id>:log
-- ARGV[1] member session id    ARGV[2] its new gateway id   ARGV[3] highest seq it has seen
-- ARGV[4] partner session id   ARGV[5] partner gateway id (used only if no message was sent yet)
-- ARGV[6] chat TTL (s)
-- Returns {1, recovered, seq1, ts1, text1, seq2, …}: recovered 1 if the history still holds
-- everything after ARGV[3] (0: some was trimmed), then the partner's messages after ARGV[3],
-- oldest first; {0, reason} the chat has ended; {-2} not a member.
-- Reply codes named in packages/redis/src/replies.ts: ChatMoveReply.
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- Nobody has written yet: create the chat as chat_send would, with our new gateway.
  redis.call('HSET', KEYS[1], 'seq', 0, 'gw:' .. ARGV[1], ARGV[2], 'gw:' .. ARGV[4], ARGV[5])
  redis.call('EXPIRE', KEYS[1], ARGV[6])
end
local fields = redis.call('HMGET', KEYS[1], 'ended', 'gw:' .. ARGV[1])
if fields[1] then return {0, fields[1]} end
if not fields[2] then return {-2} end
redis.call('HSET', KEYS[1], 'gw:' .. ARGV[1], ARGV[2])
local reply = {1, 1}
local last = tonumber(ARGV[3])
local entries = redis.call('XRANGE', KEYS[2], '-', '+')
-- Trimmed (MAXLEN): the oldest kept seq is past the one after `last` (it may have been the
-- member's own message; which it was is gone with it, so say "not recovered").
local oldest = last + 1
if #entries > 0 then
  for i = 1, #entries[1][2], 2 do
    if entries[1][2][i] == 'seq' then oldest = tonumber(entries[1][2][i + 1]) end
  end
else
  oldest = tonumber(redis.call('HGET', KEYS[1], 'seq') or '0') + 1
end
if oldest > last + 1 then reply[2] = 0 end
for _, entry in ipairs(entries) do
  local f = entry[2]
  local seq, from, text, ts
  for i = 1, #f, 2 do
    if f[i] == 'seq' then seq = tonumber(f[i + 1])
    elseif f[i] == 'from' then from = f[i + 1]
    elseif f[i] == 'text' then text = f[i + 1]
    elseif f[i] == 'ts' then ts = f[i + 1] end
  end
  if seq and seq > last and from ~= ARGV[1] then
    reply[#reply + 1] = seq
    reply[#reply + 1] = ts
    reply[#reply + 1] = text
  end
end
return reply
