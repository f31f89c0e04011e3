-- expect: runtime
-- match: undefined global 'io'
-- line: 4
local f = io.open("/etc/passwd") --@
