-- expect: runtime
-- match: chain too long
-- line: 7
local a, b = {}, {}
setmetatable(a, { __index = b })
setmetatable(b, { __index = a })
local x = a.missing --@
