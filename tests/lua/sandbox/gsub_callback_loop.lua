-- expect: limit
-- match: instruction limit
-- line: 4
local r = ("abc"):gsub(".", function() while true do end end) --@
