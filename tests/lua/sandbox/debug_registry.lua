-- expect: runtime
-- match: undefined global 'debug'
-- line: 4
local r = debug.getregistry() --@
