-- expect: limit
-- match: host call limit of 262144 bytes
-- phase: hook
-- line: 11
-- reached: 0
-- limits: wall_ms=600000
-- The issue's table: 40 levels, each holding the one below twice (2^40 values by reference). Converting it
-- used to allocate gigabytes outside the Lua cap; every value and byte is now paid for as it is converted.
return plan { name = "t", aws_allow = { "ec2:DescribeInstances" }, waves = { wave "w" { servers = group "g", after = function(w)
local t = { "leaf" } for _ = 1, 40 do t = { t, t } end
w:aws("ec2", "DescribeInstances", { Filters = t }) --@
end } } }
