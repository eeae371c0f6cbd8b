-- Gives the lease up on a clean stop, so a standby takes over at once (see src/leadership/lease.ts).
-- KEYS[1] the lease ({m}:leader); ARGV[1] the caller's lease value.
-- Returns 1 released, 0 not the caller's lease.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
