-- expect: ok
-- Every way to change a library function the validator uses fails, so the plan is validated with the
-- engine's own functions (the misspelt key below is still reported through them).
for _, lib in ipairs({ string, table, math }) do
  for _, f in ipairs({ "format", "concat", "sort", "type", "match", "floor" }) do
    pcall(rawset, lib, f, function() return "forged" end)
    pcall(function() lib[f] = function() return "forged" end end)
    pcall(setmetatable, lib, { __index = function() return function() return "forged" end end })
  end
end
assert(string.format("%s", "x") == "x" and math.type(1) == "integer")
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
