-- drs.checks: health checks for recovered servers, run on the instances through SSM: services, ports,
-- HTTP endpoints, DNS names, free disk. Each returns true, or false and a reason, so it reads well in
-- w:expect(checks.http_ok(w, { port = 443, path = "/health" }), "web health"). Uses drs.ssm.

local ssm = require "drs.ssm"

local M = {}

local function check_opts(opts, fname)
  if opts ~= nil and type(opts) ~= "table" then
    error(("bad argument to 'checks.%s' (table of options expected)"):format(fname), 3)
  end
  return opts or {}
end

-- The service `name` is running (systemd unit on Linux, Windows service with platform = "windows").
function M.service_active(w, name, opts)
  opts = check_opts(opts, "service_active")
  if type(name) ~= "string" or name == "" then error("bad argument #2 to 'checks.service_active' (service name expected)", 2) end
  local script
  if ssm.windows(opts) then
    script = ("if ((Get-Service -Name %s -ErrorAction Stop).Status -ne 'Running') { exit 1 }"):format(ssm.pwsh_quote(name))
  else
    script = ("systemctl is-active --quiet %s"):format(ssm.quote(name))
  end
  local ok, why = ssm.check(w, script, opts)
  if not ok then return false, ("service %s is not active: %s"):format(name, why) end
  return true
end

-- A TCP connection to host:port succeeds from the instance (host defaults to 127.0.0.1).
function M.port_open(w, port, opts)
  opts = check_opts(opts, "port_open")
  if math.type(port) ~= "integer" or port < 1 or port > 65535 then
    error("bad argument #2 to 'checks.port_open' (port number expected)", 2)
  end
  local host = opts.host or "127.0.0.1"
  local script
  if ssm.windows(opts) then
    script = ("if (-not (Test-NetConnection -ComputerName %s -Port %d -InformationLevel Quiet)) { exit 1 }"):format(
      ssm.pwsh_quote(host), port)
  else
    script = ("timeout 5 bash -c %s"):format(ssm.quote(("exec 3<>/dev/tcp/%s/%d"):format(host, port)))
  end
  local ok, why = ssm.check(w, script, opts)
  if not ok then return false, ("port %s:%d is not open: %s"):format(host, port, why) end
  return true
end

-- An HTTP(S) GET answers with the expected status (200). opts: port, path ("/"), host ("localhost"),
-- scheme ("https" for 443, else "http"), status (200), timeout_s (10), insecure (true: self-signed certs).
function M.http_ok(w, opts)
  opts = check_opts(opts, "http_ok")
  local port = opts.port or 80
  local scheme = opts.scheme or (port == 443 and "https" or "http")
  local url = ("%s://%s:%d%s"):format(scheme, opts.host or "localhost", port, opts.path or "/")
  local want = opts.status or 200
  local t = opts.timeout_s or 10
  local script
  if ssm.windows(opts) then
    script = ("$r = Invoke-WebRequest -UseBasicParsing -Uri %s -TimeoutSec %d; if ($r.StatusCode -ne %d) { exit 1 }"):format(
      ssm.pwsh_quote(url), t, want)
  else
    script = ('code=$(curl -s %s-o /dev/null -m %d -w "%%{http_code}" %s); test "$code" = %d'):format(
      opts.insecure == false and "" or "-k ", t, ssm.quote(url), want)
  end
  local ok, why = ssm.check(w, script, opts)
  if not ok then return false, ("%s did not answer %d: %s"):format(url, want, why) end
  return true
end

-- `name` resolves on the instance (to opts.expect when given).
function M.dns_resolves(w, name, opts)
  opts = check_opts(opts, "dns_resolves")
  if type(name) ~= "string" or name == "" then error("bad argument #2 to 'checks.dns_resolves' (host name expected)", 2) end
  local script
  if ssm.windows(opts) then
    script = ("$a = (Resolve-DnsName -Name %s -ErrorAction Stop).IPAddress"):format(ssm.pwsh_quote(name))
    if opts.expect then script = script .. ("; if ($a -notcontains %s) { exit 1 }"):format(ssm.pwsh_quote(opts.expect)) end
  else
    script = ("getent hosts %s"):format(ssm.quote(name))
    if opts.expect then script = script .. (" | grep -qw %s"):format(ssm.quote(opts.expect)) end
  end
  local ok, why = ssm.check(w, script, opts)
  if not ok then return false, ("%s does not resolve%s: %s"):format(name, opts.expect and (" to " .. opts.expect) or "", why) end
  return true
end

-- At least opts.min_free_percent (10) of the file system at opts.path ("/", or "C" on Windows) is free.
function M.disk_free(w, opts)
  opts = check_opts(opts, "disk_free")
  local min = opts.min_free_percent or 10
  local script
  if ssm.windows(opts) then
    script = ("$d = Get-PSDrive -Name %s; if (100 * $d.Free / ($d.Used + $d.Free) -lt %d) { exit 1 }"):format(
      ssm.pwsh_quote(opts.path or "C"), min)
  else
    script = ("used=$(df --output=pcent %s | tail -1 | tr -dc 0-9); test $((100 - used)) -ge %d"):format(
      ssm.quote(opts.path or "/"), min)
  end
  local ok, why = ssm.check(w, script, opts)
  if not ok then return false, ("less than %d%% free on %s: %s"):format(min, opts.path or "/", why) end
  return true
end

-- Any command: true when it exits 0 everywhere.
function M.command_ok(w, script, opts)
  opts = check_opts(opts, "command_ok")
  local ok, why = ssm.check(w, script, opts)
  if not ok then return false, why end
  return true
end

return M
