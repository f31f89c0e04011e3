-- expect: ok
-- phase: hook
-- reached: 0
-- Catching refusals in a loop neither reaches the host nor escapes the call limit.
-- limits: calls=1000
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
for i = 1, 500 do
  local ok, r, msg, code = pcall(w.ssm_run, w, { commands = { "id" }, instance_ids = { "i-" .. i } })
  assert(ok and r == nil and code == "EPERM")
end
end } } }
