-- expect: limit
-- match: instruction limit
-- line: 7
-- limits: instructions=2000000 wall_ms=600000
local s = (" "):rep(1024):rep(8 * 1024) .. "42"
for _ = 1, 1e9 do
  local n = tonumber(s) --@
end
