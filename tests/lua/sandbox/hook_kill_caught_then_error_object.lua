-- expect: limit
-- match: instruction limit
-- phase: hook
-- limits: instructions=1000000 wall_ms=600000
-- A pcall catches the kill, then the hook raises an error object of its own (and loops in a handler):
-- the kill is sticky, the first cause is reported, and no metamethod of the object runs.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
local ok = pcall(function() while true do end end)
local obj = setmetatable({}, { __tostring = function() while true do end end })
xpcall(function() error(obj) end, function() while true do end end)
error(obj)
end } } }
