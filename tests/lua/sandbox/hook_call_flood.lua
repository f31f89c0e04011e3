-- expect: limit
-- match: host call limit of 2000
-- limits: calls=2000 wall_ms=60000
-- phase: hook
-- line: 7
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
for i = 1, 1e9 do w:now() end --@
end } } }
