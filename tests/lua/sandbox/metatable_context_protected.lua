-- expect: runtime
-- match: protected metatable
-- phase: hook
-- line: 7
-- The hook's context object keeps the engine's metatable.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
setmetatable(w, { __index = function() return function() return true end end }) --@
end } } }
