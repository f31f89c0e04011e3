-- expect: runtime
-- match: protected metatable
-- line: 4
setmetatable(string, {}) --@
