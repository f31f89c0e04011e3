-- expect: limit
-- match: instruction limit
-- line: 4
local s = (""):rep(1e15) --@
