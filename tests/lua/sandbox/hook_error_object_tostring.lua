-- expect: runtime
-- match: error object is a table value
-- phase: hook
-- line: 9
-- limits: instructions=2000000 wall_ms=600000
-- The engine turns an error object into text without running its metamethods.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local obj = setmetatable({}, { __tostring = function() while true do end end, __index = function() while true do end end })
error(obj) --@
end } } }
