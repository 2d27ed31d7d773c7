-- Claims one notification for delivery: the guard against sending twice.
-- Only a notification still "created" and not leased to a live worker can
-- be claimed; anything past "created" was handed to a provider already.
--
-- KEYS[1] record hash
-- ARGV[1] now (microseconds)   ARGV[2] lease length (microseconds)
-- ARGV[3] worker name
--
-- Returns {"ok", {field, value, ...}} with the record as claimed, or
-- {"skip", reason}.

-- Reads only what the guard needs, and returns the record as stored after
-- the claim: no Lua tables are built (most of a claim's cost in Redis).
local f = redis.call("HMGET", KEYS[1], "status", "lease_until", "lease_owner",
                     "attempts")
if not f[1] then
  return {"skip", "gone"}
end
if f[1] ~= "created" then
  return {"skip", f[1]}
end
local now = tonumber(ARGV[1])
if f[2] and tonumber(f[2]) > now and f[3] ~= ARGV[3] then
  return {"skip", "leased"}
end
-- %.0f: tostring would print 1.7959068870599e+15, losing the last digits.
redis.call("HSET", KEYS[1], "lease_until",
           string.format("%.0f", now + tonumber(ARGV[2])),
           "lease_owner", ARGV[3],
           "attempts", tostring((tonumber(f[4]) or 0) + 1))
return {"ok", redis.call("HGETALL", KEYS[1])}
