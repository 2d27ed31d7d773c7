-- Moves notifications whose retry is due back onto their lane, atomically
-- so none is lost or queued twice.
--
-- KEYS[1] retry sorted set
-- KEYS[2] lane stream prefix ("<channel>:<lane>" appended)
-- ARGV[1] now (microseconds)   ARGV[2] most to move   ARGV[3] service id
-- ARGV[4] record key prefix (id appended)
--
-- Returns how many were moved.

local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", ARGV[1],
                       "LIMIT", 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  redis.call("ZREM", KEYS[1], id)
  local r = redis.call("HMGET", ARGV[4] .. id, "type", "lane")
  if r[1] and r[2] then
    redis.call("XADD", KEYS[2] .. r[1] .. ":" .. r[2], "*", "s", ARGV[3],
               "n", id)
  end
end
return #due
