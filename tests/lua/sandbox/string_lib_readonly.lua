-- expect: runtime
-- match: read-only
-- line: 4
string.format = function() end --@
