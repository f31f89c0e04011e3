-- expect: runtime
-- match: only "count"
-- line: 4
collectgarbage("stop") --@
