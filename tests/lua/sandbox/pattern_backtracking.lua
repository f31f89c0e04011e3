-- expect: limit
-- match: pattern matching limit
-- line: 5
local s = ("a"):rep(20000)
local r = s:find(".-.-.-.-b") --@
