-- expect: runtime
-- match: JSON limit
-- line: 6
local t = { 1 }
for i = 1, 40 do t = { t, t } end
local s = json.encode(t) --@
