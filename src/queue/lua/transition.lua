-- Records what happened to a notification, in one step: its new status
-- (only ever forward), its history, a retry, the queue acknowledgement
-- and the service's callback.
--
-- KEYS[1] record hash          KEYS[2] history list
-- KEYS[3] lane stream          KEYS[4] retry sorted set
-- KEYS[5] callback stream      KEYS[6] provider-reference index key
-- KEYS[7] open notifications (sorted set)
-- KEYS[8] the service's outcome counters for the day of ARGV[11] (hash)
-- ARGV[1] now (microseconds)   ARGV[2] worker name ("" from a receipt)
-- ARGV[3] new status, or "retry" to try again later
-- ARGV[4] stream entry id to acknowledge ("" for none)
-- ARGV[5] retry due time (microseconds) when ARGV[3] is "retry"
-- ARGV[6] provider name ("" to keep)   ARGV[7] provider reference ("")
-- ARGV[8] retention in seconds, applied once the status is final
-- ARGV[9] "1" to queue a delivery-status callback for final statuses
-- ARGV[10] history detail (no personal data)
-- ARGV[11] the UTC day of ARGV[1], YYYY-MM-DD (KEYS[8] is that day's key;
--          the day is passed in because scripts must not read the clock)
--
-- Returns {"ok", status now} or {"stale", status kept}.

local rank = {created = 0, sending = 1, pending = 2, sent = 3,
              delivered = 4, ["permanent-failure"] = 4,
              ["temporary-failure"] = 4, ["technical-failure"] = 4,
              cancelled = 4, ["validation-failed"] = 4}
local final = {sent = true, delivered = true, ["permanent-failure"] = true,
               ["temporary-failure"] = true, ["technical-failure"] = true,
               cancelled = true, ["validation-failed"] = true}

local now = ARGV[1]
-- One read for every field the steps below need.
local cur = redis.call("HMGET", KEYS[1], "status", "id", "service_id", "type",
                       "sent_at")
local status = cur[1]
local id = cur[2]
if not status then
  if ARGV[4] ~= "" then
    redis.call("XACK", KEYS[3], "workers", ARGV[4])
  end
  return {"stale", "gone"}
end

local function ack()
  if ARGV[4] ~= "" then
    redis.call("XACK", KEYS[3], "workers", ARGV[4])
  end
end

-- The history list lives as long as the record; a final transition sets
-- both expiries itself, so it passes keep_ttl = false and saves two calls.
local function history(what, keep_ttl)
  redis.call("RPUSH", KEYS[2], now .. " " .. what .. " " .. ARGV[10])
  if keep_ttl then
    redis.call("EXPIRE", KEYS[2], redis.call("TTL", KEYS[1]))
  end
end

if ARGV[3] == "retry" then
  if status ~= "created" then
    ack()
    return {"stale", status}
  end
  redis.call("HDEL", KEYS[1], "lease_until", "lease_owner")
  redis.call("HSET", KEYS[1], "updated_at", now)
  redis.call("ZADD", KEYS[4], ARGV[5], id)
  history("retry", true)
  ack()
  return {"ok", status}
end

local new = ARGV[3]
-- A late receipt never moves a notification back (alphagov#2916), and a
-- final status never changes.
if final[status] or (rank[new] or 0) < (rank[status] or 0)
   or (new == status and ARGV[7] == "") then
  ack()
  return {"stale", status}
end

local fields = {"status", new, "updated_at", now}
if ARGV[6] ~= "" then
  fields[#fields + 1] = "provider"
  fields[#fields + 1] = ARGV[6]
end
if ARGV[7] ~= "" then
  fields[#fields + 1] = "provider_ref"
  fields[#fields + 1] = ARGV[7]
end
if new ~= "created" and not cur[5] then
  fields[#fields + 1] = "sent_at"
  fields[#fields + 1] = now
end
redis.call("HSET", KEYS[1], unpack(fields))
redis.call("HDEL", KEYS[1], "lease_until", "lease_owner")
if ARGV[7] ~= "" and KEYS[6] ~= "" then
  redis.call("SET", KEYS[6], cur[3] .. " " .. id, "EX",
             tonumber(ARGV[8]) + 345600)
end
history(new, not final[new])
if final[new] then
  redis.call("ZREM", KEYS[7], id)
  redis.call("EXPIRE", KEYS[1], tonumber(ARGV[8]))
  redis.call("EXPIRE", KEYS[2], tonumber(ARGV[8]))
  -- Counters for `bode stats`: "<channel>:<status>", kept a few days past
  -- the retention.
  local channel = cur[4] or "unknown"
  redis.call("HINCRBY", KEYS[8], channel .. ":" .. new, 1)
  redis.call("EXPIRE", KEYS[8], tonumber(ARGV[8]) + 345600)
  if ARGV[9] == "1" then
    redis.call("XADD", KEYS[5], "*", "n", id, "status", new)
  end
end
ack()
return {"ok", new}
