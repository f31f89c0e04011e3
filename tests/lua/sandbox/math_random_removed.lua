-- expect: runtime
-- match: math.random is not available
-- line: 4
local r = math.random(6) --@
