-- expect: ok
-- Fields added to a metatable after setmetatable do not take effect (the engine owns what it checked);
-- methods added to the __index table do, so the class pattern works. Replacing an engine copy is allowed.
local Class = {}
Class.__index = Class
local obj = setmetatable({}, Class)
function Class:hello() return "hi" end
assert(obj:hello() == "hi")
assert(getmetatable(obj) == Class)
Class.__tostring = function() return "late" end
assert(tostring(obj) ~= "late")
local other = { __index = function() return 1 end }
assert(setmetatable(obj, other).anything == 1)
assert(getmetatable(obj) == other)
assert(setmetatable(obj, nil) == obj and getmetatable(obj) == nil)
local locked = setmetatable({}, { __metatable = "mine" })
assert(getmetatable(locked) == "mine")
assert(not pcall(setmetatable, locked, {}))
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
