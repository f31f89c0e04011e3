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

local function check_name(name, fname, what)
  if type(name) ~= "string" or name == "" then
    error(("bad argument #2 to 'checks.%s' (%s expected)"):format(fname, what), 3)
  end
end

-- Run `script` through SSM: true, or false and "<failed>: <why>" (just why without `failed`).
local function verdict(w, script, opts, failed)
  local ok, why = ssm.check(w, script, opts)
  if ok then return true end
  if failed then return false, ("%s: %s"):format(failed, why) end
  return false, why
end

-- The service `name` is running (systemd unit on Linux, Windows service with platform = "windows").
function M.service_active(w, name, opts)
  opts = check_opts(opts, "service_active")
  check_name(name, "service_active", "service name")
  local script
  if ssm.windows(opts) then
    script = ("if ((Get-Service -Name %s -ErrorAction Stop).Status -ne 'Running') { exit 1 }"):format(ssm.pwsh_quote(name))
  else
    script = ("systemctl is-active --quiet %s"):format(ssm.quote(name))
  end
  return verdict(w, script, opts, ("service %s is not active"):format(name))
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
  return verdict(w, script, opts, ("port %s:%d is not open"):format(host, port))
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
  return verdict(w, script, opts, ("%s did not answer %d"):format(url, want))
end

-- `name` resolves on the instance (to opts.expect when given).
function M.dns_resolves(w, name, opts)
  opts = check_opts(opts, "dns_resolves")
  check_name(name, "dns_resolves", "host name")
  local script
  if ssm.windows(opts) then
    script = ("$a = (Resolve-DnsName -Name %s -ErrorAction Stop).IPAddress"):format(ssm.pwsh_quote(name))
    if opts.expect then script = script .. ("; if ($a -notcontains %s) { exit 1 }"):format(ssm.pwsh_quote(opts.expect)) end
  else
    script = ("getent hosts %s"):format(ssm.quote(name))
    if opts.expect then script = script .. (" | grep -qw %s"):format(ssm.quote(opts.expect)) end
  end
  return verdict(w, script, opts, ("%s does not resolve%s"):format(name, opts.expect and (" to " .. opts.expect) or ""))
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
  return verdict(w, script, opts, ("less than %d%% free on %s"):format(min, opts.path or "/"))
end

-- Any command: true when it exits 0 everywhere.
function M.command_ok(w, script, opts)
  opts = check_opts(opts, "command_ok")
  return verdict(w, script, opts)
end

return M
