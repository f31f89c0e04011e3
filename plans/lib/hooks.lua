-- plans/lib/hooks.lua: reusable hooks for recovery plans. Each function returns a hook (a function of the
-- wave context w) configured by its arguments, so a plan writes after = hooks.http_healthy{ port = 443 }.
-- Uses the engine library: drs.checks, drs.wait.

local checks = require "drs.checks"
local wait = require "drs.wait"

local M = {}

-- Wait until every instance of the wave runs `service`, then expect it active.
function M.service_up(service, opts)
  opts = opts or {}
  return function(w)
    local ok, err = wait.service(w, service, { timeout = opts.timeout or "10m", platform = opts.platform })
    w:expect(ok, ("%s running on wave %s%s"):format(service, w.name, ok and "" or (": " .. tostring(err))))
  end
end

-- Wait for an HTTP health endpoint, then expect it to answer.
function M.http_healthy(opts)
  return function(w)
    local ok, err = wait.http(w, opts)
    w:expect(ok, ("HTTP %s on wave %s%s"):format(opts.path or "/", w.name, ok and "" or (": " .. tostring(err))))
  end
end

-- Expect a TCP port to accept connections on every instance.
function M.port_open(port, opts)
  return function(w)
    w:expect(checks.port_open(w, port, opts), ("port %d open on wave %s"):format(port, w.name))
  end
end

-- Several hooks in order, as one.
function M.all(...)
  local list = table.pack(...)
  return function(w)
    for i = 1, list.n do list[i](w) end
  end
end

return M
