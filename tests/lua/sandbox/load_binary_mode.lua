-- expect: runtime
-- match: binary chunks are not allowed
-- line: 4
load("\27LuaT\0", "x", "b") --@
