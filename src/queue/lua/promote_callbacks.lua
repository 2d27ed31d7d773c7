-- Moves delivery-status callbacks whose retry is due back onto the
-- service's callback stream. While the service's endpoint is paused, only
-- one kept callback moves per probe interval, marked as a probe.
--
-- KEYS[1] callback retry sorted set (members "id|status|attempt"; parked
--         callbacks of a paused endpoint have a score past any time)
-- KEYS[2] callback stream      KEYS[3] service hash
-- ARGV[1] now (microseconds)   ARGV[2] most to move
-- ARGV[3] probe interval (microseconds)
--
-- Returns how many were moved.

local function move(member, probe)
  redis.call("ZREM", KEYS[1], member)
  local id, status, attempt = string.match(member, "^([^|]+)|([^|]+)|(%d+)$")
  if id then
    if probe then
      redis.call("XADD", KEYS[2], "*", "n", id, "status", status,
                 "a", attempt, "probe", "1")
    else
      redis.call("XADD", KEYS[2], "*", "n", id, "status", status,
                 "a", attempt)
    end
  end
end

local paused = redis.call("HGET", KEYS[3], "callback_paused_at")
if paused and paused ~= "" then
  local last = redis.call("HGET", KEYS[3], "callback_probe_at") or paused
  if tonumber(ARGV[1]) - tonumber(last) < tonumber(ARGV[3]) then
    return 0
  end
  local first = redis.call("ZRANGE", KEYS[1], 0, 0)
  if #first == 0 then
    return 0
  end
  redis.call("HSET", KEYS[3], "callback_probe_at", ARGV[1])
  move(first[1], true)
  return 1
end

local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1],
                       "LIMIT", 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  move(member, false)
end
return #due
