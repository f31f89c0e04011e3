-- expect: runtime
-- match: contains itself
-- line: 6
local t = {}
t.self = t
local s = json.encode(t) --@
