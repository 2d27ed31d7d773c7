-- Queues what the scheduled set says is due: scheduled notifications (the
-- member is the id) and bulk jobs (the member is "j:" .. job id), moving at
-- most ARGV[2] notifications per call so a 50,000-row job is spread over
-- many short calls. Removing a member here and in cancel.lua /
-- job_cancel.lua is the one race point: only one of them can win.
--
-- KEYS[1] scheduled sorted set KEYS[2] open notifications (sorted set)
-- ARGV[1] now (microseconds)   ARGV[2] most notifications to move
-- ARGV[3] service id           ARGV[4] record key prefix (id appended)
-- ARGV[5] lane stream prefix ("<channel>:<lane>" appended)
-- ARGV[6] job key prefix (job id appended; ":ids" for its id list)
-- ARGV[7] listing index prefix (key type appended)
--
-- Returns how many notifications were queued.

local now = ARGV[1]
local budget = tonumber(ARGV[2])
local moved = 0

local function queue(id, rec)
  redis.call("XADD", ARGV[5] .. rec[1] .. ":" .. rec[2], "*", "s", ARGV[3],
             "n", id)
  redis.call("ZADD", KEYS[2], now, id)
  moved = moved + 1
end

local due = redis.call("ZRANGEBYSCORE", KEYS[1], "-inf", now,
                       "LIMIT", 0, budget)
for _, member in ipairs(due) do
  if budget <= 0 then break end
  if string.sub(member, 1, 2) == "j:" then
    local job = ARGV[6] .. string.sub(member, 3)
    local j = redis.call("HMGET", job, "job_status", "rows_queued",
                         "notification_count", "key_type")
    if not j[1] or j[1] == "cancelled" then
      redis.call("ZREM", KEYS[1], member)
    else
      local from = tonumber(j[2] or "0")
      local total = tonumber(j[3])
      if from == 0 then
        redis.call("HSET", job, "job_status", "in progress",
                   "processing_started", now)
      end
      local ids = redis.call("LRANGE", job .. ":ids", from,
                             from + budget - 1)
      for _, id in ipairs(ids) do
        local key = ARGV[4] .. id
        local rec = redis.call("HMGET", key, "type", "lane", "status")
        if rec[1] and rec[3] == "created" then
          -- A job's notifications exist for the outside world from when
          -- they are queued, as in Notify, which creates them then. One
          -- microsecond apart, in row order, so listings page through
          -- them without ties.
          local at = string.format("%.0f", tonumber(now) + moved)
          redis.call("HSET", key, "created_at", at, "updated_at", at)
          redis.call("ZADD", ARGV[7] .. j[4], at, id)
          queue(id, rec)
        end
      end
      budget = budget - #ids
      from = from + #ids
      redis.call("HSET", job, "rows_queued", from, "updated_at", now)
      if from >= total or #ids == 0 then
        redis.call("ZREM", KEYS[1], member)
        redis.call("HSET", job, "job_status", "finished",
                   "processing_finished", now)
      end
    end
  else
    redis.call("ZREM", KEYS[1], member)
    local rec = redis.call("HMGET", ARGV[4] .. member, "type", "lane",
                           "status")
    if rec[1] and rec[3] == "created" then
      queue(member, rec)
    end
    budget = budget - 1
  end
end
return moved
