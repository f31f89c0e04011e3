-- expect: ok
-- forbid: finalizer ran
-- A __gc added to the metatable after setmetatable must never run: not when the table is collected,
-- not when the state closes. (In Lua 5.4 an error in a finalizer is only a warning, so the finalizer
-- prints instead: any line it prints fails the test.)
local mt = {}
local t = setmetatable({}, mt)
mt.__gc = function() print("finalizer ran") end
getmetatable(t).__gc = function() print("finalizer ran (via getmetatable)") end
t = nil
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
