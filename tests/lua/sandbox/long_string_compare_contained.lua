-- expect: limit
-- match: time limit of 300 ms
-- limits: instructions=100000000000 wall_ms=300
-- Comparing two distinct 8 MiB strings is one instruction of 8 MiB of work. The count hook runs more often
-- once such objects exist, so the time limit ends this near 300 ms instead of a thousand comparisons late.
local a = ("x"):rep(8 * 1024 * 1024)
local b = ("x"):rep(8 * 1024 * 1024 - 1) .. "x"
local n = 0
while true do
  if a == b then n = n + 1 end
end
