-- expect: runtime
-- match: module 'io' not found
-- line: 4
local io = require "io" --@
