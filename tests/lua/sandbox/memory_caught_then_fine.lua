-- expect: ok
-- match: 
-- limits: memory=8388608
local ok = pcall(function() local t = {} while true do t[#t + 1] = ("z"):rep(1000) .. #t end end)
assert(not ok)
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
