-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=3000000 wall_ms=600000
-- Inserting at the front shifts every element: 100,000 moves per call.
local t = {} for i = 1, 100000 do t[i] = i end
for _ = 1, 1e9 do
  table.insert(t, 1, 0) --@
  table.remove(t)
end
