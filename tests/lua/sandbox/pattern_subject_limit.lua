-- expect: runtime
-- match: pattern subject limit
-- line: 5
local s = ("a"):rep(2^21)
local r = s:match("a+") --@
