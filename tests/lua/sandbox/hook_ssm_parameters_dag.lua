-- expect: limit
-- match: host call limit
-- phase: hook
-- line: 9
-- reached: 0
-- limits: wall_ms=600000
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local t = { "x" } for _ = 1, 40 do t = { t, t } end
w:ssm_run({ commands = { "true" }, parameters = { executionTimeout = t } }) --@
end } } }
