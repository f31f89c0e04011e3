-- expect: limit
-- match: instruction limit
-- line: 7
-- limits: instructions=3000000 wall_ms=600000
local t = {} for i = 1, 100000 do t[i] = i end
for _ = 1, 1e9 do
  table.remove(t, 1) --@
  t[#t + 1] = 0
end
