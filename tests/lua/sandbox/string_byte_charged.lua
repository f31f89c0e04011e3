-- expect: limit
-- match: instruction limit
-- line: 9
-- limits: instructions=2000000 wall_ms=600000
-- Each call returns 400,000 values: one VM instruction, 400,000 values of work. The wall clock cannot be
-- what stops it here (10 minutes): the charge must.
local s = ("x"):rep(400000)
for _ = 1, 1e9 do
  local n = select("#", s:byte(1, -1)) --@
end
