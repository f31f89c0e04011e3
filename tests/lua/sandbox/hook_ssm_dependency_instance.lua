-- expect: ok
-- phase: hook
-- reached: 2
-- The instances of a wave this one depends on (context.waves) are reachable, as are its own.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
assert(w:ssm_run({ commands = { "true" }, instance_ids = { "i-dep" } }))
assert(w:ssm_run("true"))
end } } }
