-- Removes up to ARGV[3] stale members from one sorted set of notification
-- ids scored by creation time (a listing index or the open set), oldest
-- first, so a call never holds Redis for long.
--
-- KEYS[1] sorted set
-- ARGV[1] record key prefix (id appended)
-- ARGV[2] cutoff score (microseconds): only members older are looked at
-- ARGV[3] most members to look at
-- ARGV[4] "1": remove every member older than the cutoff; "0": only those
--         whose record has expired
--
-- Returns {removed, looked at}.

local ids = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", "(" .. ARGV[2],
                       "LIMIT", 0, tonumber(ARGV[3]))
local removed = 0
for _, id in ipairs(ids) do
  if ARGV[4] == "1" or redis.call("EXISTS", ARGV[1] .. id) == 0 then
    redis.call("ZREM", KEYS[1], id)
    removed = removed + 1
  end
end
return {removed, #ids}
