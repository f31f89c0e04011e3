-- The demo: the "orders" application in three tiers, recovered database first, then the application
-- servers, then the web front end, with health checks through SSM between tiers and a gate before the
-- application tier. Servers are chosen by their tags, so the plan needs no protection groups. Made for
-- the simulated region in plans/scenarios/three-tier-demo.json (`make run` drills it):
--
--   drsorch run plans/demo/three-tier.lua --mode drill --sim plans/scenarios/three-tier-demo.json --approve-all
--   drsorch test plans/demo/three-tier.lua --scenario plans/scenarios/three-tier-demo.json

local checks = require "drs.checks"

return plan {
  name = "orders-three-tier",
  region = "us-east-1",
  rto_target = "45m",
  waves = {
    wave "database" {
      servers = tags { App = "orders", Tier = "db" },
      after = function(w)
        -- the recovered databases answer before anything that needs them starts
        local r, err = w:ssm_run { commands = { "systemctl is-active postgresql" } }
        w:log("database health: %s", r and r.status or err)
        w:expect(r ~= nil and r.status == "Success", "postgresql is active on every database server")
      end,
    },
    wave "app" {
      depends_on = { "database" },
      servers = tags { App = "orders", Tier = "app" },
      approval = "Confirm the recovered database is consistent before the application tier starts",
      after = function(w)
        -- freshly launched instances may take a few minutes to bring their SSM agent online
        local ok, why = checks.port_open(w, 8080, { timeout = "10m" })
        if not ok then w:log("application check: %s", why) end
        w:expect(ok, "the application listens on port 8080")
      end,
    },
    wave "web" {
      depends_on = { "app" },
      servers = tags { App = "orders", Tier = "web" },
      after = function(w)
        local r, err = w:ssm_run { commands = { "curl -sf http://localhost/health" } }
        w:log("web health: %s", r and r.status or err)
        w:expect(r ~= nil and r.status == "Success", "the web front end answers /health")
      end,
    },
  },
}
