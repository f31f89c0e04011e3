-- expect: limit
-- match: instruction limit
-- line: 7
-- limits: instructions=2000000 wall_ms=600000
local s = ("\u{e9}"):rep(1024):rep(4 * 1024)
for _ = 1, 1e9 do
  local n = utf8.len(s) --@
end
