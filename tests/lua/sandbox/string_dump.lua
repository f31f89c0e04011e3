-- expect: runtime
-- match: string.dump is not available
-- line: 4
local b = string.dump(function() end) --@
