-- Stores one received text, indexes it for listing and queues the
-- service's inbound callback, in one step. A provider's retry of the same
-- message (same reference) stores nothing new.
--
-- KEYS[1] record hash          KEYS[2] listing index (sorted set)
-- KEYS[3] provider-reference key (dedupe)
-- KEYS[4] callback stream
-- ARGV[1] id                   ARGV[2] record TTL seconds
-- ARGV[3] created_at (µs)      ARGV[4] index cut-off (µs)
-- ARGV[5] "1" when ARGV[... ] has a reference to dedupe on
-- ARGV[6] "1" to queue an inbound callback
-- ARGV[7..] record field, value pairs
--
-- Returns {"ok", id} or {"dup", id of the first}.

if ARGV[5] == "1" then
  local seen = redis.call("GET", KEYS[3])
  if seen then
    return {"dup", seen}
  end
end
local fields = {}
for i = 7, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call("HSET", KEYS[1], unpack(fields))
redis.call("EXPIRE", KEYS[1], tonumber(ARGV[2]))
redis.call("ZADD", KEYS[2], ARGV[3], ARGV[1])
redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[4])
if ARGV[5] == "1" then
  redis.call("SET", KEYS[3], ARGV[1], "EX", tonumber(ARGV[2]))
end
if ARGV[6] == "1" then
  redis.call("XADD", KEYS[4], "*", "n", ARGV[1], "status", "inbound")
end
return {"ok", ARGV[1]}
