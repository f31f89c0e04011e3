-- expect: limit
-- match: time limit of 100 ms
-- limits: wall_ms=100 instructions=100000000000
-- line: 5
while true do end --@
