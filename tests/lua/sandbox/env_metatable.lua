-- expect: runtime
-- match: undefined global 'io'
-- line: 6
assert(getmetatable(_ENV) == false)
local _ENV = setmetatable({}, { __index = _ENV })
return io.open("/etc/passwd") --@
