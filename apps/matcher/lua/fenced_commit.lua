-- The matcher's commit of one batch of events: every write of the batch and the XACK of
-- its events, atomically, and only while the caller holds the lease (a script is atomic,
-- so this is a fenced MULTI/EXEC in one round trip; WATCH would abort on every renewal).
-- The arguments are flat sections, each a count of ARGV slots followed by that many
-- slots, so neither side encodes or decodes anything per item (src/matching/commit-batch.ts
-- builds them; src/leadership/lease.ts runs it).
--
-- KEYS[1] the lease ({m}:leader)       KEYS[2] the event stream ({m}:events)
-- KEYS[3] the queue hash ({m}:queue)   KEYS[4] kept-apart pairs ({m}:apart)
-- KEYS[5] reports ({m}:reports)        KEYS[6] flagged addresses ({m}:flagged)
-- KEYS[7] pending rematches ({m}:rematch)
-- KEYS[8..] the control streams of the gateways this batch writes to
--
-- ARGV[1] the caller's lease value     ARGV[2] the consumer group
-- ARGV[3] a control stream's approximate MAXLEN
-- then the sections, in order (n = its count of slots):
--   acks:        n, event ids                                  → XACK
--   dequeued:    n, session ids                                → HDEL queue
--   queued:      n, (session id, waiting entry JSON)*          → HSET queue
--   apart:       n, (until ms, "a|b")*                         → ZADD apart GT
--   reports:     n, (at ms, "ipHash|event id")*                → ZADD reports
--   forgotten:   n, "ipHash|event id"*                         → ZREM reports (a lift's; after the ZADD)
--   unflagged:   n, ipHash*                                    → ZREM flagged (a lift; before the ZADD,
--                so a flag later in the batch stands; the batch drops flags before the lift)
--   flagged:     n, (until ms, ipHash)*                        → ZADD flagged GT
--   assignments: n, (KEYS index, to, gen, chat, partner, pgw, interests JSON, lang JSON,
--                media, role, rematch)*
--                → XADD control stream: a `paired` control entry (events.ts, controlEntrySchema)
--   offers:      n, (KEYS index, to, chat)*                    → XADD control stream: `rematch_offer`
--   rematch out: n, chat ids                                   → HDEL rematch
--   rematch in:  n, (chat id, pending rematch JSON)*           → HSET rematch
--   prune:       '1' then the cutoffs (apart, flagged, reports), or '0'
--   trim:        the MINID to trim the event stream to, or ''
-- Returns the number of assignments written, or a FENCED error.
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return redis.error_reply('FENCED lease not held') end

local group, maxlen = ARGV[2], ARGV[3]
local at = 4
-- Variadic commands go in chunks: unpack's stack is bounded (~8000 values).
local CHUNK = 1000

local function section()
  local count = tonumber(ARGV[at])
  local first = at + 1
  at = first + count
  return first, first + count - 1
end

local first, last = section()
for from = first, last, CHUNK do redis.call('XACK', KEYS[2], group, unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('HDEL', KEYS[3], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('HSET', KEYS[3], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('ZADD', KEYS[4], 'GT', unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('ZADD', KEYS[5], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('ZREM', KEYS[5], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('ZREM', KEYS[6], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('ZADD', KEYS[6], 'GT', unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end

first, last = section()
local assignments = 0
for i = first, last, 11 do
  redis.call('XADD', KEYS[tonumber(ARGV[i])], 'MAXLEN', '~', maxlen, '*',
    't', 'paired', 'to', ARGV[i + 1], 'gen', ARGV[i + 2], 'chat', ARGV[i + 3],
    'partner', ARGV[i + 4], 'pgw', ARGV[i + 5], 'interests', ARGV[i + 6],
    'lang', ARGV[i + 7], 'media', ARGV[i + 8], 'role', ARGV[i + 9], 'rematch', ARGV[i + 10])
  assignments = assignments + 1
end
first, last = section()
for i = first, last, 3 do
  redis.call('XADD', KEYS[tonumber(ARGV[i])], 'MAXLEN', '~', maxlen, '*',
    't', 'rematch_offer', 'to', ARGV[i + 1], 'chat', ARGV[i + 2])
end
first, last = section()
for from = first, last, CHUNK do redis.call('HDEL', KEYS[7], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end
first, last = section()
for from = first, last, CHUNK do redis.call('HSET', KEYS[7], unpack(ARGV, from, math.min(from + CHUNK - 1, last))) end

if ARGV[at] == '1' then
  redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', ARGV[at + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', ARGV[at + 2])
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', ARGV[at + 3])
  at = at + 4
else
  at = at + 1
end
if ARGV[at] ~= '' then redis.call('XTRIM', KEYS[2], 'MINID', '~', ARGV[at]) end
return assignments
