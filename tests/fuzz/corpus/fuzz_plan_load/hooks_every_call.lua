-- Every host call a hook can make, with tables, strings and numbers as arguments.
local checks = require "drs.checks"
local ssm = require "drs.ssm"
return plan {
  name = "fuzz", region = "us-east-1", rto_target = "30m",
  aws_allow = { "ec2:DescribeInstances", "drs:DescribeJobs" },
  ssm_documents = { "Acme-Check" },
  waves = {
    wave "db" {
      servers = group "db",
      after = function(w)
        local r = w:aws("ec2", "DescribeInstances", { InstanceIds = { w.servers[1].instance_id }, Filters = { { Name = "a", Values = { "b" } } } })
        w:expect(r ~= nil, "describe")
        w:ssm_run({ commands = { "systemctl is-active postgresql", "df -h" }, timeout = "2m" })
        w:ssm_run({ document = "Acme-Check", parameters = { level = { "deep" } } })
        checks.service_active(w, "postgresql")
        local ok, why = ssm.check(w, { "true", "echo " .. ssm.quote("it's") })
        w:log("ok=%s why=%s", tostring(ok), tostring(why))
        w:sleep("1s")
        w:notify("db up", { subject = "drill" })
        local n = w:random(1, 6) + w:now() % 7
        w:assert(n > 0, "positive")
        w:wait_until(function() return true end, { timeout = "1m", interval = "5s" })
        w:approve("go on?", { timeout = "10m" })
        print(json.encode({ n = n, list = { 1, 2, 3 } }), json.decode('{"a":[1,2,{"b":null}]}').a[3].b == json.null)
      end,
    },
    wave "app" { depends_on = { "db" }, servers = tags { App = "x" }, approval = "ok?", on_failure = "retry(2)",
      before = function(w) w:aws("drs", "DescribeJobs", {}) end },
  },
  cleanup = function(x) x:log("bye %d", #x.servers) end,
}
