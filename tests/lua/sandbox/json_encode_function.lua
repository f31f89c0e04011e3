-- expect: runtime
-- match: cannot encode a function
-- line: 4
local s = json.encode({ f = print }) --@
