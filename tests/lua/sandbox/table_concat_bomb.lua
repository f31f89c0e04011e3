-- expect: limit
-- match: memory limit
-- line: 6
local t = {}
for i = 1, 12 do t[i] = ("y"):rep(2^21) end
local s = table.concat(t) .. table.concat(t) --@
