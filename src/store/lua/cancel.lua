-- Cancels a scheduled notification that is not yet due. Atomic with the
-- promoter (promote_scheduled.lua): whichever removes the id from the
-- scheduled set first wins, so a notification is never both cancelled and
-- queued.
--
-- KEYS[1] record hash          KEYS[2] scheduled sorted set
-- KEYS[3] history list
-- ARGV[1] now (microseconds)   ARGV[2] notification id
-- ARGV[3] retention in seconds (the record's clock starts now)
--
-- Returns {"ok"}, {"missing"} or {"not_scheduled", status}.

local status = redis.call("HGET", KEYS[1], "status")
if not status then
  return {"missing"}
end
if redis.call("ZREM", KEYS[2], ARGV[2]) == 0 then
  return {"not_scheduled", status}
end
redis.call("HSET", KEYS[1], "status", "cancelled", "updated_at", ARGV[1])
redis.call("RPUSH", KEYS[3], ARGV[1] .. " cancelled by the service")
redis.call("EXPIRE", KEYS[1], tonumber(ARGV[3]))
redis.call("EXPIRE", KEYS[3], tonumber(ARGV[3]))
return {"ok"}
