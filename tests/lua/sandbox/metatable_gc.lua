-- expect: runtime
-- match: __gc and __close metamethods are not allowed
-- line: 4
setmetatable({}, { __gc = function() while true do end end }) --@
