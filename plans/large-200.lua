-- 200 servers in 20 waves: a shared core (network services, then databases), then four independent
-- business units that recover in parallel branches, each database -> app -> web, and a final checks wave
-- that waits for every branch. Built with loops: a plan is Lua.
local hooks = require "lib.hooks"

-- 200 distinct, well-formed source server ids, handed out in order.
local next_id = 0
local function ids(n)
  local list = {}
  for _ = 1, n do
    next_id = next_id + 1
    list[#list + 1] = ("s-%017x"):format(0x100000 + next_id)
  end
  return list
end

local waves = {
  wave "core-network" { servers = ids(8), after = hooks.port_open(53) },
  wave "core-db" { depends_on = "core-network", servers = ids(12), after = hooks.service_up("postgresql") },
}

local units = { "billing", "orders", "shipping", "support" }
local last = {}
for _, unit in ipairs(units) do
  local tiers = { { "db", 10, hooks.service_up("postgresql") }, { "app", 14, hooks.port_open(8080) },
                  { "web", 12, hooks.http_healthy({ port = 443, path = "/health" }) } }
  local previous = "core-db"
  for _, tier in ipairs(tiers) do
    local name = unit .. "-" .. tier[1]
    waves[#waves + 1] = wave(name) {
      depends_on = { previous },
      servers = ids(tier[2]),
      on_failure = tier[1] == "web" and "continue" or "retry(2)",
      after = tier[3],
    }
    previous = name
  end
  last[#last + 1] = previous
end

waves[#waves + 1] = wave "smoke-tests" {
  depends_on = last,
  servers = ids(4),
  approval = "Business units are up: run the end-to-end smoke tests?",
  after = function(w) w:log("smoke tests on %d servers", #w.servers) end,
}

-- 2 core + 4 units x 3 tiers + 1 = 15 waves; pad to 20 with per-unit reporting waves
for _, unit in ipairs(units) do
  waves[#waves + 1] = wave(unit .. "-reports") {
    depends_on = { unit .. "-db" },
    servers = ids(4),
  }
end
waves[#waves + 1] = wave "archive" { depends_on = "core-db", servers = ids(200 - next_id) }

return plan {
  name = "enterprise",
  description = "Four business units on a shared core, 200 servers",
  region = "us-west-2",
  rto_target = "4h",
  rpo_target = "30m",
  waves = waves,
  cleanup = function(x) x:log("cleanup after %s", x.mode or "the drill") end,
}
