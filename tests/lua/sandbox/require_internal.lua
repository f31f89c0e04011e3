-- expect: runtime
-- match: internal to the engine
-- line: 4
local dsl = require "plan.dsl" --@
