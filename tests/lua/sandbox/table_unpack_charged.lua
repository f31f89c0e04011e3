-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=2000000 wall_ms=600000
local t = {} for i = 1, 200000 do t[i] = i end
local n = 0
for _ = 1, 1e9 do
  n = n + select("#", table.unpack(t)) --@
end
