-- Creates a bulk job's record and takes its whole size from the daily
-- limits, before any row is written: a job that does not fit is refused
-- whole and writes nothing.
--
-- KEYS[1] job hash             KEYS[2] daily counter
-- KEYS[3] international SMS daily counter
-- ARGV[1] daily limit (0: not counted)   ARGV[2] rows in the job
-- ARGV[3] international SMS daily limit  ARGV[4] international rows
-- ARGV[5] job record TTL seconds
-- ARGV[6..] job field, value pairs
--
-- Returns {"ok"}, {"exists"}, {"daily", remaining} or
-- {"daily_international", remaining}.

if redis.call("EXISTS", KEYS[1]) == 1 then
  return {"exists"}
end
local daily = tonumber(ARGV[1])
local rows = tonumber(ARGV[2])
local intl_rows = tonumber(ARGV[4])
if daily > 0 then
  local used = tonumber(redis.call("GET", KEYS[2]) or "0")
  if used + rows > daily then
    return {"daily", daily - used}
  end
  if intl_rows > 0 then
    local intl = tonumber(ARGV[3])
    local iused = tonumber(redis.call("GET", KEYS[3]) or "0")
    if iused + intl_rows > intl then
      return {"daily_international", intl - iused}
    end
    if redis.call("INCRBY", KEYS[3], intl_rows) == intl_rows then
      redis.call("EXPIRE", KEYS[3], 90000)
    end
  end
  if redis.call("INCRBY", KEYS[2], rows) == rows then
    redis.call("EXPIRE", KEYS[2], 90000)
  end
end
local fields = {}
for i = 6, #ARGV do
  fields[#fields + 1] = ARGV[i]
end
redis.call("HSET", KEYS[1], unpack(fields))
redis.call("EXPIRE", KEYS[1], tonumber(ARGV[5]))
return {"ok"}
