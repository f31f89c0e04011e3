-- expect: limit
-- match: instruction limit
-- line: 9
-- limits: instructions=2000000 wall_ms=600000
-- Parsing is work in proportion to the source: a 900 KB chunk, loaded again and again.
local src = "return " .. ("1+"):rep(150000) .. "1"
src = src .. (" "):rep(900000 - #src)
for _ = 1, 1e9 do
  local f = load(src) --@
end
