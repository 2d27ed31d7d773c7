-- Writes one chunk of a job's rows: the records and their place in the
-- job's id list, and the job's count of rows written, together. A chunk is
-- written whole or not at all, and a chunk sent twice (a retry after a
-- lost reply) is written once: it must start where the job's count stands.
--
-- KEYS[1] job hash             KEYS[2] job id list
-- ARGV[1] row number of the chunk's first row (0-based)
-- ARGV[2] record TTL seconds   ARGV[3] record key prefix (id appended)
-- ARGV[4] fields every row shares (JSON object)
-- ARGV[5] the rows (JSON array of objects, each with at least "id")
--
-- Returns {"ok", rows_inserted} or {"skip", rows_inserted}.

local have = tonumber(redis.call("HGET", KEYS[1], "rows_inserted") or "-1")
if have ~= tonumber(ARGV[1]) then
  return {"skip", have}
end
local common = cjson.decode(ARGV[4])
local rows = cjson.decode(ARGV[5])
local ttl = tonumber(ARGV[2])
local shared = {}
for k, v in pairs(common) do
  shared[#shared + 1] = k
  shared[#shared + 1] = tostring(v)
end
local ids = {}
for _, row in ipairs(rows) do
  local key = ARGV[3] .. row.id
  local fields = {}
  for k, v in pairs(row) do
    fields[#fields + 1] = k
    fields[#fields + 1] = tostring(v)
  end
  redis.call("HSET", key, unpack(shared))
  redis.call("HSET", key, unpack(fields))
  redis.call("EXPIRE", key, ttl)
  ids[#ids + 1] = row.id
end
if #ids > 0 then
  redis.call("RPUSH", KEYS[2], unpack(ids))
end
redis.call("EXPIRE", KEYS[2], ttl)
return {"ok", redis.call("HINCRBY", KEYS[1], "rows_inserted", #ids)}
