-- expect: runtime
-- match: nesting deeper
-- line: 4
local v = assert(json.decode(("["):rep(100000) .. ("]"):rep(100000))) --@
