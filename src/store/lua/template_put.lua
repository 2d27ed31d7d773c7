-- Stores a template, adding a version only when its content changed.
--
-- KEYS[1] template hash (latest version)   KEYS[2] set of template ids
-- ARGV[1] template id   ARGV[2] now (microseconds)
-- ARGV[3..] field, value pairs of the content (name, type, subject, body,
--           archived, lane, created_by)
--
-- Returns the version now current. Versions are kept as
-- KEYS[1] .. ":v:" .. n, in the same hash slot as KEYS[1].

local cur = redis.call("HGETALL", KEYS[1])
local old = {}
for i = 1, #cur, 2 do old[cur[i]] = cur[i + 1] end

local changed = (#cur == 0)
for i = 3, #ARGV, 2 do
  if ARGV[i] ~= "created_by" and old[ARGV[i]] ~= ARGV[i + 1] then
    changed = true
  end
end
if not changed then
  return tonumber(old.version)
end

local version = (tonumber(old.version) or 0) + 1
local fields = {"id", ARGV[1], "version", tostring(version),
                "updated_at", ARGV[2]}
if #cur == 0 then
  fields[#fields + 1] = "created_at"
  fields[#fields + 1] = ARGV[2]
end
for i = 3, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call("HSET", KEYS[1], unpack(fields))
local snapshot = redis.call("HGETALL", KEYS[1])
redis.call("HSET", KEYS[1] .. ":v:" .. version, unpack(snapshot))
redis.call("SADD", KEYS[2], ARGV[1])
return version
