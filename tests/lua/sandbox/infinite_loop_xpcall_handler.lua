-- expect: limit
-- match: instruction limit
-- line: 4
for i = 1, 1e9 do xpcall(function() while true do end end, function() while true do end end) end --@
