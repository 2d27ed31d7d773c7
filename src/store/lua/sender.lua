-- Changes one of a service's email reply-to addresses or SMS senders and
-- keeps the service's default (mirrored into the service hash, so an
-- accept without an id needs no extra read) in step, atomically.
--
-- KEYS[1] senders hash (id -> JSON {"value", "created_at"})
-- KEYS[2] service hash
-- ARGV[1] "add" | "default" | "remove"
-- ARGV[2] sender id            ARGV[3] JSON record (add)
-- ARGV[4] "1" to make it the default (add)
-- ARGV[5] service field holding the default's id
-- ARGV[6] service field holding the default's text
-- ARGV[7] "1" to clear the text field when the last one is removed
--
-- Returns "ok", "noservice", "missing" or "default" (removing the default
-- while others remain).

if redis.call("EXISTS", KEYS[2]) == 0 then
  return "noservice"
end
local op = ARGV[1]
local id = ARGV[2]
local current = redis.call("HGET", KEYS[2], ARGV[5])
if current == false then
  current = ""
end

if op == "add" then
  redis.call("HSET", KEYS[1], id, ARGV[3])
  if ARGV[4] == "1" or current == "" or
     redis.call("HEXISTS", KEYS[1], current) == 0 then
    local rec = cjson.decode(ARGV[3])
    redis.call("HSET", KEYS[2], ARGV[5], id, ARGV[6], rec.value)
  end
  return "ok"
end

local raw = redis.call("HGET", KEYS[1], id)
if not raw then
  return "missing"
end
if op == "default" then
  local rec = cjson.decode(raw)
  redis.call("HSET", KEYS[2], ARGV[5], id, ARGV[6], rec.value)
  return "ok"
end
if current == id then
  if redis.call("HLEN", KEYS[1]) > 1 then
    return "default"
  end
  redis.call("HSET", KEYS[2], ARGV[5], "")
  if ARGV[7] == "1" then
    redis.call("HSET", KEYS[2], ARGV[6], "")
  end
end
redis.call("HDEL", KEYS[1], id)
return "ok"
