-- expect: runtime
-- match: JSON limit
-- line: 4
local s = json.encode({ ("x"):rep(400000) }) --@
