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

local rec = redis.call("HGETALL", KEYS[1])
if #rec == 0 then
  return {"skip", "gone"}
end
local r = {}
for i = 1, #rec, 2 do r[rec[i]] = rec[i + 1] end
if r.status ~= "created" then
  return {"skip", r.status}
end
local now = tonumber(ARGV[1])
if r.lease_until and tonumber(r.lease_until) > now
   and r.lease_owner ~= ARGV[3] then
  return {"skip", "leased"}
end
r.attempts = tostring((tonumber(r.attempts) or 0) + 1)
-- %.0f: tostring would print 1.7959068870599e+15, losing the last digits.
r.lease_until = string.format("%.0f", now + tonumber(ARGV[2]))
r.lease_owner = ARGV[3]
redis.call("HSET", KEYS[1], "lease_until", r.lease_until,
           "lease_owner", r.lease_owner, "attempts", r.attempts)
local flat = {}
for k, v in pairs(r) do
  flat[#flat + 1] = k
  flat[#flat + 1] = v
end
return {"ok", flat}
