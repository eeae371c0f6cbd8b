-- Extends the caller's lease (see src/leadership/lease.ts).
-- KEYS[1] the lease ({m}:leader); ARGV[1] the caller's lease value, ARGV[2] the TTL (ms).
-- Returns 1 renewed, 0 not the caller's lease.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
