-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=2000000 wall_ms=600000
-- The '..' operator copies both strings in one instruction: its allocation is what pays.
local s = ("x"):rep(1024):rep(4 * 1024)
for _ = 1, 1e9 do
  local c = s .. "y" --@
end
