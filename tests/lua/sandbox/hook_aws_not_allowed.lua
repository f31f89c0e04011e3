-- expect: ok
-- phase: hook
-- reached: 1
-- w:aws reaches the host only for operations the plan's aws_allow names.
return plan { name = "t", aws_allow = { "ec2:DescribeInstances" }, waves = { wave "w" { servers = group "g", after = function(w)
local r, msg, code = w:aws("ec2", "TerminateInstances", { InstanceIds = { "i-own" } })
assert(r == nil and code == "EPERM" and msg:find("aws_allow"), tostring(msg))
r, msg, code = w:aws("drs", "StartRecovery", {})
assert(r == nil and code == "EPERM", tostring(msg))
assert(w:aws("ec2", "DescribeInstances", {}))
end } } }
