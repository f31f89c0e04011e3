-- expect: runtime
-- match: outside the plan's directory
-- line: 4
require "lib.outside" --@
