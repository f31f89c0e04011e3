-- expect: runtime
-- match: non-closable value
-- line: 11
-- limits: instructions=2000000 wall_ms=600000
-- The issue's six lines: __close added after setmetatable, the table bound with <close>, a loop. The kill
-- would reset the thread, running __close with the count hook off. The engine's copy of the metatable has
-- no __close, so the binding itself fails.
local mt = {}
local t = setmetatable({}, mt)
mt.__close = function() while true do end end
do local x <close> = t --@
  while true do end
end
