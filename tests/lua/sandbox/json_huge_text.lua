-- expect: runtime
-- match: JSON limit
-- line: 4
local v = assert(json.decode(("["):rep(1) .. ("1,"):rep(600000) .. "1]")) --@
