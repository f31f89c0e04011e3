-- expect: runtime
-- match: undefined global 'loadfile'
-- line: 4
local f = loadfile("/etc/passwd") --@
