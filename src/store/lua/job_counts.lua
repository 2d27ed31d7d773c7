-- Counts the statuses of a slice of a job's notifications, for its
-- progress. The caller walks the id list slice by slice so no call holds
-- Redis for long.
--
-- KEYS[1] job id list
-- ARGV[1] first index          ARGV[2] last index (inclusive)
-- ARGV[3] record key prefix (id appended)
--
-- Returns a flat array of status, count pairs (records gone: "expired").

local ids = redis.call("LRANGE", KEYS[1], tonumber(ARGV[1]),
                       tonumber(ARGV[2]))
local counts = {}
for _, id in ipairs(ids) do
  local s = redis.call("HGET", ARGV[3] .. id, "status") or "expired"
  counts[s] = (counts[s] or 0) + 1
end
local out = {}
for s, n in pairs(counts) do
  out[#out + 1] = s
  out[#out + 1] = n
end
return out
