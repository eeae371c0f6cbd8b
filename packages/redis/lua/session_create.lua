-- Writes a new session's record with its safety-net TTL, in one step (a record without its
-- TTL would outlive a lost session forever).
-- Single-slot: touches the session hash only.
-- KEYS[1] session hash      sess:{<sid>}
-- Record fields (SessionField, packages/redis/src/session-record.ts): all of them (field, value pairs from encodeSessionRecord / the gateway's changed fields)
-- ARGV[1] TTL (seconds)   ARGV[2..] field, value, field, value, …
-- Returns 1.
redis.call('HSET', KEYS[1], unpack(ARGV, 2))
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
