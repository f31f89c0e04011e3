-- expect: limit
-- match: instruction limit
-- line: 8
-- limits: instructions=2000000 wall_ms=600000
-- "z" scans for a terminating zero that is not there: 8 MiB per call.
local s = ("x"):rep(1024):rep(8 * 1024)
for _ = 1, 1e9 do
  pcall(string.unpack, "z", s) --@
end
