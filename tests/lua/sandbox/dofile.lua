-- expect: runtime
-- match: undefined global 'dofile'
-- line: 4
dofile("/etc/passwd") --@
