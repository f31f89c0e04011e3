-- expect: ok
-- phase: hook
-- reached: 0
-- w.servers is the hook's own table: rewriting it does not change what the engine lets it reach.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
w.servers = { { id = "s-x", instance_id = "i-production-db" } }
w.waves = { prod = { servers = { { instance_id = "i-production-db" } } } }
local r, msg, code = w:ssm_run("rm -rf /var/lib/postgresql")
assert(r == nil and code == "EPERM", tostring(msg))
end } } }
