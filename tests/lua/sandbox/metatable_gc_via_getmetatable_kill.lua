-- expect: limit
-- match: instruction limit
-- forbid: finalizer ran
-- limits: instructions=2000000 wall_ms=600000
-- __gc written through getmetatable, then a kill: at the end of the state nothing the plan wrote runs.
local keep = {}
for i = 1, 100 do
  local t = setmetatable({}, {})
  getmetatable(t).__gc = function() print("finalizer ran"); while true do end end
  keep[i] = t
end
while true do end
