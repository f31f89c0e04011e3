-- expect: runtime
-- match: string.dump is not available
-- line: 4
local b = ("x").dump(print) --@
