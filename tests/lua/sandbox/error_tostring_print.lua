-- expect: limit
-- match: instruction limit
-- line: 4
local ok, e = pcall(error, setmetatable({}, { __tostring = function() while true do end end }))
print(e) --@
