-- expect: runtime
-- match: read-only
-- line: 8
-- drs.checks calls drs.ssm through its module table: replacing ssm.check would make every health check
-- pass. The engine library is read-only to plans.
local ssm = require "drs.ssm"
local forged = function() return true, { status = "Success" } end
rawset(ssm, "check", forged) --@
