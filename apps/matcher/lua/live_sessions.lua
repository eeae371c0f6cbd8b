-- The ghost check of a batch of joins on a single Redis server, as one command: which
-- sessions are still waiting with the gen of their join (see src/store/live-sessions.ts).
-- KEYS[i] a session record (sess:{id}); ARGV[i] the gen of that session's join.
-- Returns one character per key: '1' live, '0' a ghost.
local live = {}
for i = 1, #KEYS do
  local record = redis.call('HMGET', KEYS[i], 'state', 'gen')
  live[i] = (record[1] == 'waiting' and tonumber(record[2]) == tonumber(ARGV[i])) and '1' or '0'
end
return table.concat(live)
