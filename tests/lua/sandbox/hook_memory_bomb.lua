-- expect: limit
-- match: memory limit
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local t = {} while true do t[#t + 1] = {} end --@
end } } }
