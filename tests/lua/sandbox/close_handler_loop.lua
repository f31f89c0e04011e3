-- expect: runtime
-- match: __close metamethods are not allowed
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local guard <close> = setmetatable({}, { __close = function() while true do end end }) --@
while true do end
end } } }
