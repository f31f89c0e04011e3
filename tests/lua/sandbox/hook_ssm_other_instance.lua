-- expect: ok
-- phase: hook
-- reached: 0
-- A hook runs commands only on its wave's recovered instances (and those of the waves it depends on).
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local r, msg, code = w:ssm_run({ commands = { "cat /etc/shadow" }, instance_ids = { "i-own", "i-0badc0ffee" } })
assert(r == nil and code == "EPERM" and msg:find("i%-0badc0ffee"), tostring(msg))
end } } }
