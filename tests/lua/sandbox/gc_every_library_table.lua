-- expect: ok
-- forbid: finalizer
-- A __gc cannot be attached to anything a plan can reach, first or later.
for _, v in ipairs({ {}, string, table, json, require "drs.checks" }) do
  pcall(setmetatable, v, { __gc = function() print("finalizer") end })
  local mt = getmetatable(v)
  if type(mt) == "table" then mt.__gc = function() print("finalizer") end end
end
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
