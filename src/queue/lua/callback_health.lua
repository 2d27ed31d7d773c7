-- Keeps the health of a service's callback endpoint: failed attempts in a
-- row, and the pause that follows too many. A paused endpoint's callbacks
-- are parked in the retry set (score ARGV[4]) rather than sent; resuming
-- makes them all due at once.
--
-- KEYS[1] service hash         KEYS[2] callback retry sorted set
-- ARGV[1] "fail" | "ok" | "pause" | "resume"
-- ARGV[2] now (microseconds)   ARGV[3] failures that pause (0: never)
-- ARGV[4] the parked score
--
-- Returns {failures in a row, 1 if paused now else 0}.

local function unpark()
  local parked = redis.call("ZRANGEBYSCORE", KEYS[2], ARGV[4], "+inf")
  for _, member in ipairs(parked) do
    redis.call("ZADD", KEYS[2], ARGV[2], member)
  end
end

if redis.call("EXISTS", KEYS[1]) == 0 then
  return {0, 0}
end
local op = ARGV[1]
local paused = redis.call("HGET", KEYS[1], "callback_paused_at")
local is_paused = paused ~= false and paused ~= ""

if op == "fail" then
  local n = redis.call("HINCRBY", KEYS[1], "callback_failures", 1)
  local limit = tonumber(ARGV[3])
  if not is_paused and limit > 0 and n >= limit then
    redis.call("HSET", KEYS[1], "callback_paused_at", ARGV[2],
               "callback_probe_at", ARGV[2])
    is_paused = true
  end
  return {n, is_paused and 1 or 0}
end
if op == "pause" then
  if not is_paused then
    redis.call("HSET", KEYS[1], "callback_paused_at", ARGV[2],
               "callback_probe_at", ARGV[2])
  end
  return {tonumber(redis.call("HGET", KEYS[1], "callback_failures") or 0), 1}
end
-- "ok" (a callback went through) and "resume" (an operator) both clear.
redis.call("HSET", KEYS[1], "callback_failures", 0)
if is_paused then
  redis.call("HDEL", KEYS[1], "callback_paused_at", "callback_probe_at")
  unpark()
end
return {0, 0}
