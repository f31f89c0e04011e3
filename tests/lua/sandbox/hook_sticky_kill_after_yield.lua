-- expect: limit
-- match: instruction limit
-- phase: hook
-- line: 7
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
w:sleep(1)
pcall(function() while true do end end)
w:log("still here") --@
end } } }
