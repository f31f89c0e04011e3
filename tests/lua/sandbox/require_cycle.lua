-- expect: runtime
-- match: already being loaded
-- line: 1
require "lib.cycle_a" --@
