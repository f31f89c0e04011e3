-- expect: runtime
-- match: attempt to index a nil value
-- line: 5
local io2 = rawget(_ENV, "io")
io2.open("/etc/passwd") --@
