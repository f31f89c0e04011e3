-- expect: limit
-- match: instruction limit
-- phase: hook
-- line: 13
-- reached: 0
-- limits: instructions=400000 wall_ms=600000
-- A hook that has spent most of its budget passes 50,000 small values: they fit the 256 KiB size limit,
-- but converting them is paid per value and the budget left does not cover it. (The list is built while
-- the file loads, under the load's own budget.)
local ids = {} for i = 1, 50000 do ids[i] = 0 end
return plan { name = "t", aws_allow = { "ec2:DescribeInstances" }, waves = { wave "w" { servers = group "g", after = function(w)
for _ = 1, 360000 do end
w:aws("ec2", "DescribeInstances", { Ids = ids }) --@
end } } }
