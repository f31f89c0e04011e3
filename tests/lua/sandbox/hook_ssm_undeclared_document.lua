-- expect: ok
-- phase: hook
-- reached: 1
-- Only the documents the plan declares (and the shell documents) run; the host never sees the others.
return plan { name = "t", ssm_documents = { "Acme-HealthCheck" }, waves = { wave "w" { servers = group "g", after = function(w)
local r, msg, code = w:ssm_run({ document = "AWS-RunRemoteScript", parameters = { sourceType = { "S3" } } })
assert(r == nil and code == "EPERM" and msg:find("AWS%-RunRemoteScript"), tostring(msg))
assert(w:ssm_run({ document = "Acme-HealthCheck" }))
end } } }
