-- expect: limit
-- match: instruction limit
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
while true do end --@
end } } }
