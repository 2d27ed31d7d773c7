-- Moves delivery-status callbacks whose retry is due back onto the
-- service's callback stream.
--
-- KEYS[1] callback retry sorted set (members "id|status|attempt")
-- KEYS[2] callback stream
-- ARGV[1] now (microseconds)   ARGV[2] most to move
--
-- Returns how many were moved.

local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1],
                       "LIMIT", 0, tonumber(ARGV[2]))
for _, member in ipairs(due) do
  redis.call("ZREM", KEYS[1], member)
  local id, status, attempt = string.match(member, "^([^|]+)|([^|]+)|(%d+)$")
  if id then
    redis.call("XADD", KEYS[2], "*", "n", id, "status", status,
               "a", attempt)
  end
end
return #due
