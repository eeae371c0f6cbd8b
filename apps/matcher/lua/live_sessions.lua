-- The ghost check of a batch of joins on a single Redis server, as one command: which
-- sessions are still waiting with the gen of their join (see src/store/live-sessions.ts).
-- KEYS[i] a session record (sess:{id})
-- Record fields (SessionField, packages/redis/src/session-record.ts): state, gen — passed in,
-- not named here: ARGV[1] the state field, ARGV[2] the gen field, ARGV[3] the waiting state
-- ARGV[3 + i] the gen of KEYS[i]'s join
-- Returns one character per key: '1' live, '0' a ghost.
local stateField, genField, waiting = ARGV[1], ARGV[2], ARGV[3]
local live = {}
for i = 1, #KEYS do
  local record = redis.call('HMGET', KEYS[i], stateField, genField)
  live[i] = (record[1] == waiting and tonumber(record[2]) == tonumber(ARGV[3 + i])) and '1' or '0'
end
return table.concat(live)
