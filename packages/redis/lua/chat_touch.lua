-- Renews the safety-net TTL of a live chat's keys (a long-idle chat must not expire under its
-- members); an ended chat keeps its short marker TTL.
-- KEYS[1] chat hash            {b<n>}:chat:<id>
-- KEYS[2] chat history stream  {b<n>}:chat:<id>:log
-- ARGV[1] chat TTL (s)
-- Returns 1 renewed (a key that does not exist yet is left alone); 0 the chat has ended.
if redis.call('HEXISTS', KEYS[1], 'ended') == 1 then return 0 end
redis.call('EXPIRE', KEYS[1], ARGV[1])
redis.call('EXPIRE', KEYS[2], ARGV[1])
return 1
