-- expect: runtime
-- match: source limit
-- line: 4
load(string.rep("x = 1 ", 300000)) --@
