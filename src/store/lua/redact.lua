-- Replaces a sent notification's personalisation, body and subject with
-- their redacted forms (a template's redact_personalisation flag). Only
-- once a provider has it: a record still `created` (its hand-over not yet
-- saved) may be sent again and needs its data; a record gone (retention)
-- is never recreated.
--
-- KEYS[1] notification hash
-- ARGV[1..] field, value pairs to write
--
-- Returns 1 when written, 0 when not.

local status = redis.call("HGET", KEYS[1], "status")
if not status or status == "created" then
  return 0
end
redis.call("HSET", KEYS[1], unpack(ARGV))
return 1
