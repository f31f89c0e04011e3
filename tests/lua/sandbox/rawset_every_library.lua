-- expect: ok
-- No shared table a plan can reach takes a raw write, and none changed.
local libs = { string = string, table = table, math = math, utf8 = utf8, json = json,
  ["drs.checks"] = require "drs.checks", ["drs.ssm"] = require "drs.ssm", ["drs.wait"] = require "drs.wait" }
for name, lib in pairs(libs) do
  local ok, err = pcall(rawset, lib, "concat", print)
  assert(not ok and tostring(err):find("read%-only"), name .. " took a raw write: " .. tostring(err))
  ok, err = pcall(function() lib.extra = 1 end)
  assert(not ok and tostring(err):find("read%-only"), name .. " took a write: " .. tostring(err))
  assert(not pcall(table.insert, lib, print), name .. " took table.insert")
  assert(getmetatable(lib) == false, name .. " shows its metatable")
end
assert(table.concat({ "a", "b" }) == "ab" and string.format("%d", 7) == "7")
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
