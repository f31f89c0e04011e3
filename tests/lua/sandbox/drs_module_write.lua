-- expect: runtime
-- match: read-only
-- line: 5
local checks = require "drs.checks"
checks.http_ok = function() return true end --@
