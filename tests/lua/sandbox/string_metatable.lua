-- expect: runtime
-- match: attempt to index a nil value
-- line: 5
local smt = getmetatable("")
local idx = smt.__index --@
