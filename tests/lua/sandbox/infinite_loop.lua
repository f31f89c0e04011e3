-- expect: limit
-- match: instruction limit
-- line: 4
while true do end --@
