-- Cancels a scheduled job that is not yet due. Atomic with the promoter:
-- whichever removes the job from the scheduled set first wins, so no row
-- of a cancelled job is ever queued. The rows were never queued or listed
-- and expire with their records.
--
-- KEYS[1] job hash             KEYS[2] scheduled sorted set
-- ARGV[1] now (microseconds)   ARGV[2] member ("j:" .. job id)
--
-- Returns {"ok"}, {"missing"} or {"not_scheduled", job_status}.

local status = redis.call("HGET", KEYS[1], "job_status")
if not status then
  return {"missing"}
end
if status ~= "scheduled" or redis.call("ZREM", KEYS[2], ARGV[2]) == 0 then
  return {"not_scheduled", status}
end
redis.call("HSET", KEYS[1], "job_status", "cancelled", "updated_at", ARGV[1])
return {"ok"}
