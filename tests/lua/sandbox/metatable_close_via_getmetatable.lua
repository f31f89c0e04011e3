-- expect: runtime
-- match: non-closable value
-- line: 9
-- limits: instructions=2000000 wall_ms=600000
-- getmetatable answers the plan's own table, not the engine's copy: writing __close there changes nothing.
local t = setmetatable({}, { __index = {} })
getmetatable(t).__close = function() while true do end end
assert(rawget(getmetatable(t), "__close"))
local x <close> = t --@
while true do end
