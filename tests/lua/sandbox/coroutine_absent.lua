-- expect: runtime
-- match: undefined global 'coroutine'
-- line: 4
local co = coroutine.create(print) --@
