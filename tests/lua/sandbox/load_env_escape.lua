-- expect: runtime
-- match: undefined global 'io'
-- line: 4
local f = load("return io.popen(\"id\")") f() --@
