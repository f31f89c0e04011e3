-- expect: runtime
-- match: non-closable value
-- phase: hook
-- line: 10
-- limits: instructions=2000000 wall_ms=600000
-- The same inside a hook, where a kill (instruction limit, cancel) closes the coroutine.
local mt = {}
local guard = setmetatable({}, mt)
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
mt.__close = function() while true do end end; local x <close> = guard --@
while true do end
end } } }
