-- expect: limit
-- match: pattern matching limit
-- line: 5
local s = ("a"):rep(40)
local r = s:match(("a?"):rep(40) .. ("a"):rep(40) .. "b") --@
