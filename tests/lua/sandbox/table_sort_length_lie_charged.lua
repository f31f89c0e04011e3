-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=2000000 wall_ms=600000
-- __len claims a hundred million elements and __index is a C function: sort would compare for minutes in
-- C. Its charge uses the length it will use.
local t = setmetatable({}, { __len = function() return 100000000 end, __index = rawlen, __newindex = rawset })
table.sort(t) --@
