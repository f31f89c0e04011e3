-- expect: limit
-- match: host call limit
-- phase: hook
-- line: 10
-- reached: 0
-- limits: wall_ms=600000
-- Shared tables in the list of instance ids: stopped at the size limit before any check or the host.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local t = { "i-own" } for _ = 1, 40 do t = { t, t } end
w:ssm_run({ commands = { "true" }, instance_ids = t }) --@
end } } }
