-- expect: runtime
-- match: __gc and __close metamethods are not allowed
-- line: 10
-- A second setmetatable with the same (now changed) table makes a new copy: the check runs again.
local mt = { __index = function(_, k) return k end }
local a = setmetatable({}, mt)
assert(a.x == "x")
mt.__gc = function() end
assert(setmetatable({}, { __index = mt.__index }).y == "y")
local b = setmetatable({}, mt) --@
