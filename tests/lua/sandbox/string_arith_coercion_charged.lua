-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=2000000 wall_ms=600000
-- Arithmetic on a string converts it in the string metatable's C metamethods: 8 MiB scanned per '+'.
local s = (" "):rep(1024):rep(8 * 1024) .. "1"
for _ = 1, 1e9 do
  local n = s + 1 --@
end
