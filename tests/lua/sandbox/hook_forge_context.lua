-- expect: runtime
-- match: is a method
-- phase: hook
-- line: 7
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local fake = { servers = {} }
w.aws(fake, "ec2", "TerminateInstances") --@
end } } }
