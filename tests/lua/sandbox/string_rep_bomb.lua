-- expect: limit
-- match: memory limit
-- line: 4
local s = ("x"):rep(2^40) --@
