-- expect: runtime
-- match: contains itself
-- phase: hook
-- line: 9
-- reached: 0
return plan { name = "t", aws_allow = { "ec2:DescribeInstances" }, waves = { wave "w" { servers = group "g", after = function(w)
local t = {}
t.self = t
w:aws("ec2", "DescribeInstances", { Filters = t }) --@
end } } }
