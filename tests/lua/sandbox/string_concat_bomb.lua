-- expect: limit
-- match: memory limit
-- line: 5
local s = "x"
while true do s = s .. s end --@
