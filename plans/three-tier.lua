-- A three-tier web application: PostgreSQL, then the application servers, then the web tier, with a
-- health check between tiers. The example the tutorial in docs/plan-language.md builds up.
local checks = require "drs.checks"
local hooks = require "lib.hooks"

return plan {
  name = "orders",
  description = "Orders web application: database, application and web tiers",
  region = "us-east-1",
  rto_target = "45m",
  rpo_target = "5m",
  notify = { sns = "arn:aws:sns:us-east-1:111122223333:dr-events" },

  waves = {
    wave "database" {
      servers = group "orders-db",
      after = hooks.service_up("postgresql"),
    },
    wave "app" {
      depends_on = { "database" },
      servers = tags { App = "orders", Tier = "app" },
      launch = { instance_type = "m5.large", copy_private_ip = true },
      after = hooks.port_open(8080),
    },
    wave "web" {
      depends_on = { "app" },
      servers = tags { App = "orders", Tier = "web" },
      after = function(w)
        w:expect(checks.http_ok(w, { port = 443, path = "/health" }), "web health")
      end,
    },
  },

  cleanup = function(x)
    x:log("drill %s over: recovery instances are terminated by the engine", x.execution_id or "?")
  end,
}
