-- Lists notifications newest first from a listing index, filtering by
-- type, status and reference on the server so one call returns a page.
--
-- KEYS[1] listing index (sorted set of ids by creation time)
-- ARGV[1] upper score bound, exclusive ("+inf" for the first page)
-- ARGV[2] page size            ARGV[3] record key prefix (id appended)
-- ARGV[4] types, comma-separated, "" for any
-- ARGV[5] statuses, comma-separated, "" for any
-- ARGV[6] reference, "" for any  ARGV[7] most index entries to look at
-- ARGV[8] "1" to include notifications of bulk jobs (Notify's
--         include_jobs), "0" to leave them out
--
-- Returns a flat array of records, each as an array of field, value pairs.

local function set_of(csv)
  if csv == "" then return nil end
  local s = {}
  for v in string.gmatch(csv, "[^,]+") do s[v] = true end
  return s
end

local types = set_of(ARGV[4])
local statuses = set_of(ARGV[5])
local reference = ARGV[6]
local want = tonumber(ARGV[2])
local budget = tonumber(ARGV[7])
local max = ARGV[1]
local include_jobs = ARGV[8] == "1"
local out = {}
local batch = 200

while #out < want and budget > 0 do
  local ids = redis.call("ZREVRANGEBYSCORE", KEYS[1], max, "-inf",
                         "WITHSCORES", "LIMIT", 0, math.min(batch, budget))
  if #ids == 0 then break end
  for i = 1, #ids, 2 do
    local rec = redis.call("HGETALL", ARGV[3] .. ids[i])
    if #rec > 0 then
      local r = {}
      for j = 1, #rec, 2 do r[rec[j]] = rec[j + 1] end
      if (not types or types[r.type]) and
         (not statuses or statuses[r.status]) and
         (reference == "" or r.reference == reference) and
         (include_jobs or not r.job_id) then
        out[#out + 1] = rec
        if #out == want then break end
      end
    end
    max = "(" .. ids[i + 1]
  end
  budget = budget - #ids / 2
  if #ids / 2 < batch then break end
end
return out
