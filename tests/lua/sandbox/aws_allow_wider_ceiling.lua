-- expect: ok
-- phase: hook
-- reached: 1
-- ceiling: ec2:*, route53:ChangeResourceRecordSets
-- An operator who widens the ceiling lets plans name more; the plan's own list still decides the calls.
return plan { name = "t", aws_allow = { "ec2:*" }, waves = { wave "w" { servers = group "g", after = function(w)
assert(w:aws("ec2", "TerminateInstances", { InstanceIds = { "i-own" } }))
local r, msg, code = w:aws("route53", "ChangeResourceRecordSets", {})
assert(r == nil and code == "EPERM", tostring(msg))
end } } }
