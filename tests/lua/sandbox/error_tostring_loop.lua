-- expect: runtime
-- match: error object is a table value
-- line: 4
error(setmetatable({}, { __tostring = function() while true do end end })) --@
