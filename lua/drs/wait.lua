-- drs.wait: waiting for recovered servers to become ready, by polling a check until it passes or a
-- timeout expires. Each returns true, or nil, a reason and "ETIMEDOUT". Uses drs.checks, w:wait_until.

local checks = require "drs.checks"

local M = {}

-- Poll check(...) (a function returning ok, reason) until it passes.
-- opts: timeout ("10m"), interval ("15s"), what (for the message).
function M.until_ok(w, opts, check, ...)
  local args = table.pack(...)
  local last
  local ok, err, code = w:wait_until(function()
    local passed, why = check(w, table.unpack(args, 1, args.n))
    last = why
    return passed
  end, { timeout = opts and opts.timeout or "10m", interval = opts and opts.interval or "15s",
         what = opts and opts.what or "the check" })
  if ok then return true end
  return nil, last and (err .. " (last: " .. last .. ")") or err, code
end

function M.service(w, name, opts)
  local o = setmetatable({ what = "service " .. tostring(name) }, { __index = opts })
  return M.until_ok(w, o, checks.service_active, name, opts)
end

function M.port(w, port, opts)
  local o = setmetatable({ what = "port " .. tostring(port) }, { __index = opts })
  return M.until_ok(w, o, checks.port_open, port, opts)
end

function M.http(w, opts)
  local o = setmetatable({ what = "HTTP " .. tostring(opts and opts.path or "/") }, { __index = opts })
  return M.until_ok(w, o, checks.http_ok, opts)
end

return M
