-- Hands a fully written job to the promoter: its status becomes pending
-- (due now) or scheduled, and it joins the service's scheduled set. A job
-- whose rows are not all written is never committed, so none of them is
-- ever sent.
--
-- KEYS[1] job hash             KEYS[2] scheduled sorted set
-- ARGV[1] due time (microseconds)   ARGV[2] member ("j:" .. job id)
-- ARGV[3] status ("pending" or "scheduled")   ARGV[4] now (microseconds)
--
-- Returns {"ok"} or {"incomplete", rows_inserted, notification_count}.

local r = redis.call("HMGET", KEYS[1], "rows_inserted", "notification_count")
if not r[1] or r[1] ~= r[2] then
  return {"incomplete", r[1] or "", r[2] or ""}
end
redis.call("HSET", KEYS[1], "job_status", ARGV[3], "updated_at", ARGV[4])
redis.call("ZADD", KEYS[2], ARGV[1], ARGV[2])
return {"ok"}
