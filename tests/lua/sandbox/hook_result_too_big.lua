-- expect: ok
-- phase: hook
-- reached: 2
-- limits: result_bytes=4096
-- A host answer larger than the result limit reaches the hook as nil, message, "ELIMIT", not as a table.
return plan { name = "t", aws_allow = { "ec2:DescribeInstances" }, waves = { wave "w" { servers = group "g", after = function(w)
local small = assert(w:aws("ec2", "DescribeInstances", { Note = "x" }))
assert(small.echo == "aws")
local r, msg, code = w:aws("ec2", "DescribeInstances", { Note = ("y"):rep(8000) })
assert(r == nil and code == "ELIMIT" and msg:find("result limit of 4096 bytes"), tostring(msg))
end } } }
