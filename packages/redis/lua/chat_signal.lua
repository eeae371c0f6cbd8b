-- Hands one WebRTC signal (or an ICE resync request) to the partner's gateway. Never stored:
-- no history entry, no seq (docs/video.md). Routed like chat_send, so it shares the inbox and
-- the order of the chat's messages.
-- KEYS[1] chat hash        {b<n>}:chat:<id>
-- KEYS[2] partner's inbox  {b<n>}:inbox:<gateway the sender believes the partner is on>
-- ARGV[1] chat id      ARGV[2] sender session id   ARGV[3] partner id
-- ARGV[4] partner gateway id (as in KEYS[2])       ARGV[5] entry kind: 'signal' or 'resync'
-- ARGV[6] signal data (JSON; '' for resync)        ARGV[7] inbox max length
-- Returns {1, ''} handed on; {0, reason} the chat has ended; {-1, gateway} the partner is on
-- another gateway (retry with that inbox); {-2, ''} the sender is not in this chat.
-- Reply codes named in packages/redis/src/replies.ts: ChatSignalReply.
local fields = redis.call('HMGET', KEYS[1], 'ended', 'gw:' .. ARGV[2], 'gw:' .. ARGV[3])
if fields[1] then return {0, fields[1]} end
if fields[2] then
  if fields[3] ~= ARGV[4] then return {-1, fields[3] or ''} end
elseif redis.call('EXISTS', KEYS[1]) == 1 then
  return {-2, ''}
end
-- No chat hash yet: nobody has sent a message or resumed, so the matcher's gateways hold.
if ARGV[5] == 'signal' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 't', 'signal', 'to', ARGV[3], 'chat', ARGV[1], 'data', ARGV[6])
else
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[7], '*', 't', 'resync', 'to', ARGV[3], 'chat', ARGV[1])
end
return {1, ''}
