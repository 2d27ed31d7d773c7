-- Accepts one notification atomically: idempotency, rate limit, daily
-- limit, then the record, its listing index entry and its queue entry.
-- Nothing is written unless everything is.
--
-- KEYS[1] record hash          KEYS[2] listing index (sorted set)
-- KEYS[3] lane stream          KEYS[4] daily counter
-- KEYS[5] rate-limit bucket    KEYS[6] idempotency hash
-- KEYS[7] international SMS daily counter
-- KEYS[8] open notifications (sorted set, for the 72-hour timeout)
-- KEYS[9] scheduled sorted set (a record with a scheduled_for field waits
--         there, scored by it, instead of joining its lane)
-- ARGV[1] now (microseconds)   ARGV[2] rate limit per minute (0: none)
-- ARGV[3] daily limit (0: not counted, as for test keys)
-- ARGV[4] record TTL seconds   ARGV[5] idempotency body hash ("" : none)
-- ARGV[6] response to remember ARGV[7] idempotency TTL seconds
-- ARGV[8] index cut-off (microseconds; older entries are dropped)
-- ARGV[9] notification id      ARGV[10] service id
-- ARGV[11] international SMS daily limit (0: not international)
-- ARGV[12] scheduled_for (microseconds; "" : send now)
-- ARGV[13..] record field, value pairs
--
-- Returns {"ok", tokens_left_milli, ms_until_full}
--      or {"rate", 0, ms_until_one_token}
--      or {"daily", count} / {"daily_international", count}
--      or {"idem", remembered_response} / {"idem_conflict"}

local now = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local daily = tonumber(ARGV[3])

if ARGV[5] ~= "" then
  local seen = redis.call("HMGET", KEYS[6], "hash", "response")
  if seen[1] then
    if seen[1] == ARGV[5] then
      return {"idem", seen[2]}
    end
    return {"idem_conflict"}
  end
end

local left_milli, full_ms = 0, 0
if rate > 0 then
  -- Notify's token bucket: refills rate/60 a second, holds at most
  -- min(ceil(rate/3)+1, 1000) tokens.
  local cap = math.min(math.ceil(rate / 3) + 1, 1000)
  local per_us = rate / 60 / 1000000
  -- One string "tokens ts", not a hash: a GET and a SET with its expiry
  -- instead of HMGET, HSET and PEXPIRE (each call costs the accept ~3 us).
  local b = redis.call("GET", KEYS[5])
  local tokens, ts = cap, now
  if b then
    local t, s = string.match(b, "^(%S+) (%S+)$")
    tokens = tonumber(t) or cap
    ts = tonumber(s) or now
  end
  if now > ts then
    tokens = math.min(cap, tokens + (now - ts) * per_us)
  end
  if tokens < 1 then
    return {"rate", 0, math.ceil((1 - tokens) / per_us / 1000)}
  end
  tokens = tokens - 1
  redis.call("SET", KEYS[5], tostring(tokens) .. " " .. ARGV[1], "PX",
             math.ceil(cap / per_us / 1000) + 1000)
  left_milli = math.floor(tokens * 1000)
  full_ms = math.ceil((cap - tokens) / per_us / 1000)
end

-- Counted first and taken back when over: one call in the usual case.
-- The script is atomic, so nobody sees the count in between.
local intl = tonumber(ARGV[11])
if daily > 0 then
  local count = redis.call("INCR", KEYS[4])
  if count > daily then
    redis.call("DECR", KEYS[4])
    return {"daily", count - 1}
  end
  if count == 1 then
    redis.call("EXPIRE", KEYS[4], 90000)
  end
  -- International texts count against both limits, as in Notify.
  if intl > 0 then
    local icount = redis.call("INCR", KEYS[7])
    if icount > intl then
      redis.call("DECR", KEYS[7])
      redis.call("DECR", KEYS[4])
      return {"daily_international", icount - 1}
    end
    if icount == 1 then
      redis.call("EXPIRE", KEYS[7], 90000)
    end
  end
end

local scheduled_for = nil
if ARGV[12] ~= "" then
  scheduled_for = ARGV[12]
end
redis.call("HSET", KEYS[1], unpack(ARGV, 13))
redis.call("EXPIRE", KEYS[1], tonumber(ARGV[4]))
redis.call("ZADD", KEYS[2], ARGV[1], ARGV[9])
-- Entries past the retention point at expired records, which listing
-- skips; trimming them on one accept in 64 (by the id's random last hex
-- digits) keeps the index bounded without a call on every accept.
if (tonumber(string.sub(ARGV[9], -2), 16) or 0) < 4 then
  redis.call("ZREMRANGEBYSCORE", KEYS[2], "-inf", "(" .. ARGV[8])
end
if scheduled_for then
  -- Counted against today's limit now, as Notify does; queued (and open
  -- for the 72-hour timeout) only once promote_scheduled.lua finds it due.
  redis.call("ZADD", KEYS[9], scheduled_for, ARGV[9])
else
  redis.call("ZADD", KEYS[8], ARGV[1], ARGV[9])
  redis.call("XADD", KEYS[3], "*", "s", ARGV[10], "n", ARGV[9])
end

if ARGV[5] ~= "" then
  redis.call("HSET", KEYS[6], "hash", ARGV[5], "response", ARGV[6])
  redis.call("EXPIRE", KEYS[6], tonumber(ARGV[7]))
end
return {"ok", left_milli, full_ms}
