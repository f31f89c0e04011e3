-- expect: limit
-- match: instruction limit
-- phase: hook
-- limits: instructions=1000000 wall_ms=600000
-- A check function that spins inside w:wait_until (engine Lua between plan frames): the kill still lands
-- and names the plan.
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
w:wait_until(function() while true do end end, { timeout = "1m", interval = "1s" })
end } } }
