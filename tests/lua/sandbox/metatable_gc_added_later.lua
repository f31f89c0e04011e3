-- expect: ok
-- match: 
local mt = {}
setmetatable({}, mt)
mt.__gc = function() error("finalizer ran") end
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
