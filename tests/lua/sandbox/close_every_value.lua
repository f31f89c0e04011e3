-- expect: ok
-- No value a plan can reach is closable: <close> on each of them fails at the binding, so no plan code
-- can be scheduled to run while a killed coroutine unwinds.
local candidates = { string, table, math, utf8, json, json.null, "text", print, setmetatable({}, {}),
  setmetatable({}, { __index = {} }), require "drs.checks", require "drs.ssm" }
for i, v in ipairs(candidates) do
  local f = load("local v <close> = ...")
  local ok, err = pcall(f, v)
  assert(not ok and tostring(err):find("non%-closable"), ("candidate %d closed: %s"):format(i, tostring(err)))
end
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
