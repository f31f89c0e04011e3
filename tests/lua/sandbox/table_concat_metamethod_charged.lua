-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=2000000 wall_ms=600000
-- The elements come from a C __index (no Lua instruction runs per element): a billion of them, one call.
-- The charge is the range, before the loop starts.
local t = setmetatable({}, { __index = rawlen })
local s = table.concat(t, "", 1, 1e9) --@
