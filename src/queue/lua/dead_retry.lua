-- Puts one dead letter back on its lane, atomically: the notification is
-- "created" again only if it is still the technical-failure the dead
-- letter caused, so nothing that was sent or answered is sent again.
--
-- KEYS[1] dead-letter stream   KEYS[2] lane stream prefix
-- KEYS[3] open notifications (sorted set)
-- ARGV[1] dead entry id        ARGV[2] record key prefix (id appended;
--                              the history list is the record key .. ":h")
-- ARGV[3] service id           ARGV[4] now (microseconds)
--
-- Returns {"ok", notification id}, {"skip", why} (entry left in place), or
-- {"gone", ""} when there is no such dead entry.

local e = redis.call("XRANGE", KEYS[1], ARGV[1], ARGV[1])
if #e == 0 then
  return {"gone", ""}
end
local f = {}
for i = 1, #e[1][2], 2 do f[e[1][2][i]] = e[1][2][i + 1] end
local id = f.n
if not id then
  return {"skip", "damaged"}
end
local rec = ARGV[2] .. id
local hist = rec .. ":h"
local r = redis.call("HMGET", rec, "status", "type", "lane",
                     "retention_days", "created_at")
if not r[1] then
  return {"skip", "expired"}
end
if r[1] ~= "technical-failure" then
  return {"skip", r[1]}
end
-- The last history line must be the dead letter's own failure; a
-- technical failure for another reason is not ours to undo.
local last = redis.call("LRANGE", hist, -1, -1)[1] or ""
local reason = f.reason or ""
if not string.find(last, " technical-failure " .. reason, 1, true) then
  return {"skip", "failed-otherwise"}
end
local ttl = (tonumber(r[4]) or 7) * 86400 + 345600
redis.call("HSET", rec, "status", "created", "updated_at", ARGV[4],
           "attempts", "0")
redis.call("HDEL", rec, "lease_until", "lease_owner")
redis.call("EXPIRE", rec, ttl)
redis.call("RPUSH", hist, ARGV[4] .. " created requeued from dead letter " ..
           ARGV[1])
redis.call("EXPIRE", hist, ttl)
-- Scored by now, not creation: the 72-hour timeout and the janitor then
-- count from the requeue.
redis.call("ZADD", KEYS[3], tonumber(ARGV[4]), id)
redis.call("XADD", KEYS[2] .. r[2] .. ":" .. r[3], "*", "s", ARGV[3],
           "n", id)
redis.call("XDEL", KEYS[1], ARGV[1])
return {"ok", id}
