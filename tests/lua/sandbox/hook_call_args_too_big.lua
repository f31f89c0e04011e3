-- expect: limit
-- match: host call limit of 262144 bytes
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
w:aws("s3", "PutObject", { Body = ("x"):rep(300000) }) --@
end } } }
