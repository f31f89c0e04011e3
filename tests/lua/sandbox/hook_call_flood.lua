-- expect: limit
-- match: host call limit of 100000
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
for i = 1, 1e9 do w:now() end --@
end } } }
