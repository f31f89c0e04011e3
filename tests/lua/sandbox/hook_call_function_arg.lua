-- expect: runtime
-- match: cannot pass a function value
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
w:aws("ec2", "RunInstances", { UserData = print }) --@
end } } }
