-- expect: ok
-- match: 
local v, err, code = json.decode("{\"a\": [1, 2,,]}")
assert(v == nil and code == "EPARSE" and err:find("json.decode"))
return plan { name = "t", waves = { wave "a" { servers = group "g" } } }
