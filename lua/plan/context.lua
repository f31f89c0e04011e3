-- plan.context: the objects hooks receive (w for a wave's before/after/on_failure hooks, x for the plan's
-- cleanup) and their host methods. Each method checks its arguments (misuse raises at the caller's line),
-- then makes one journaled host call through orch.hostcall, which may yield the hook to the scheduler.
-- Operational failures return nil, message, code. Uses orch.hostcall, orch.fail, orch.warn, json.null.

local hostcall, fail, warn = orch.hostcall, orch.fail, orch.warn
local null = json.null

local M = {}
local methods = {}
local CTX_MT = { __index = methods, __name = "context", __metatable = false }

-- The error is raised at the plan's line that called the method: level 3 from a method, 4 from a helper
-- a method calls (to_ms, check_what), never inside this file.
local function argerror(i, fname, msg, level)
  error(("bad argument #%d to '%s' (%s)"):format(i, fname, msg), level or 3)
end

local contexts = setmetatable({}, { __mode = "k" })

local function check_self(self, fname)
  if not contexts[self] then
    error(("'%s' is a method: call it as w:%s(...)"):format(fname, fname), 3)
  end
end

local function to_ms(v, i, fname)
  if math.type(v) == "integer" or math.type(v) == "float" then
    if v < 0 then argerror(i, fname, "duration must not be negative", 4) end
    return math.floor(v * 1000)
  end
  if type(v) == "string" then
    local ms, err = orch.duration(v)
    if not ms then argerror(i, fname, ("not a duration: %q (%s)"):format(v, err), 4) end
    return ms
  end
  argerror(i, fname, 'duration expected, such as "30s", "5m" or a number of seconds', 4)
end

local function result(r, msg, code)
  if r == nil then return nil, msg, code end
  if r == null then return true end
  return r
end

-- w:ssm_run{ commands = {...} | document = "...", parameters = {...}, instance_ids = {...}, timeout = "5m" }
function methods:ssm_run(spec)
  check_self(self, "ssm_run")
  if type(spec) == "string" then spec = { commands = { spec } } end
  if type(spec) ~= "table" then argerror(1, "ssm_run", "table or command string expected") end
  local args = { document = spec.document or "AWS-RunShellScript" }
  if type(args.document) ~= "string" then argerror(1, "ssm_run", "'document' must be a string") end
  local params = {}
  if spec.parameters ~= nil then
    if type(spec.parameters) ~= "table" then argerror(1, "ssm_run", "'parameters' must be a table") end
    for k, v in pairs(spec.parameters) do params[k] = v end
  end
  if spec.commands ~= nil then
    local cmds = spec.commands
    if type(cmds) == "string" then cmds = { cmds } end
    if type(cmds) ~= "table" then argerror(1, "ssm_run", "'commands' must be a string or a list of strings") end
    for i, c in ipairs(cmds) do
      if type(c) ~= "string" then argerror(1, "ssm_run", ("commands[%d] must be a string"):format(i)) end
    end
    params.commands = cmds
  end
  if next(params) then args.parameters = params end
  local ids = spec.instance_ids
  if ids == nil then
    ids = {}
    for _, s in ipairs(self.servers or {}) do
      if s.instance_id then ids[#ids + 1] = s.instance_id end
    end
  end
  if type(ids) ~= "table" then argerror(1, "ssm_run", "'instance_ids' must be a list") end
  if #ids == 0 then return nil, "no recovered instances to run the command on", "ENOTFOUND" end
  args.instance_ids = ids
  if spec.timeout ~= nil then args.timeout_ms = to_ms(spec.timeout, 1, "ssm_run") end
  return result(hostcall("ssm_run", args))
end

-- w:aws("ec2", "DescribeInstances", { InstanceIds = { ... } })
function methods:aws(service, operation, params)
  check_self(self, "aws")
  if type(service) ~= "string" or not service:match("^[%w%-]+$") then
    argerror(1, "aws", 'service name expected, such as "ec2" or "route53"')
  end
  if type(operation) ~= "string" or not operation:match("^%u%w*$") then
    argerror(2, "aws", 'operation name expected, such as "DescribeInstances"')
  end
  if params ~= nil and type(params) ~= "table" then argerror(3, "aws", "table of parameters expected") end
  return result(hostcall("aws", { service = service, operation = operation, params = params or {} }))
end

function methods:sleep(duration)
  check_self(self, "sleep")
  return result(hostcall("sleep", { ms = to_ms(duration, 1, "sleep") }))
end

-- w:wait_until(function() return ok end, { timeout = "10m", interval = "15s", what = "database up" })
-- Returns what the function returned once it is truthy, or nil, "timed out ...", "ETIMEDOUT".
function methods:wait_until(check, opts)
  check_self(self, "wait_until")
  if type(check) ~= "function" then argerror(1, "wait_until", "function expected") end
  if opts ~= nil and type(opts) ~= "table" then argerror(2, "wait_until", "table of options expected") end
  opts = opts or {}
  local timeout = to_ms(opts.timeout or "5m", 2, "wait_until")
  local interval = to_ms(opts.interval or "10s", 2, "wait_until")
  if interval < 1 then interval = 1 end
  local deadline = self:now() + timeout
  while true do
    local r = table.pack(check())
    if r[1] then return table.unpack(r, 1, r.n) end
    if self:now() >= deadline then
      return nil, ("timed out after %s waiting for %s"):format(opts.timeout or "5m", opts.what or "the condition"),
        "ETIMEDOUT"
    end
    local ok, msg, code = self:sleep(interval / 1000)
    if not ok then return nil, msg, code end
  end
end

-- w:approve("Promote the replica?", { timeout = "1h" }): true when approved; nil, reason, code otherwise.
function methods:approve(message, opts)
  check_self(self, "approve")
  if type(message) ~= "string" or message == "" then argerror(1, "approve", "message for the approver expected") end
  local args = { message = message }
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(2, "approve", "table of options expected") end
    if opts.timeout ~= nil then args.timeout_ms = to_ms(opts.timeout, 2, "approve") end
  end
  return result(hostcall("approve", args))
end

-- w:notify("web tier is up", { subject = "DR drill" }): publishes to the plan's notify targets.
function methods:notify(message, opts)
  check_self(self, "notify")
  if type(message) ~= "string" then argerror(1, "notify", "message string expected") end
  local args = { message = message }
  if opts ~= nil then
    if type(opts) ~= "table" then argerror(2, "notify", "table of options expected") end
    if opts.subject ~= nil and type(opts.subject) ~= "string" then argerror(2, "notify", "'subject' must be a string") end
    args.subject = opts.subject
  end
  return result(hostcall("notify", args))
end

-- w:log(fmt, ...): a line in the execution log (string.format when there are arguments).
function methods:log(fmt, ...)
  check_self(self, "log")
  if type(fmt) ~= "string" then argerror(1, "log", "string expected") end
  local msg = fmt
  if select("#", ...) > 0 then
    local ok, formatted = pcall(string.format, fmt, ...)
    if not ok then
      local n, why = tostring(formatted):match("bad argument #(%d+) to '[%w.]*format' %((.*)%)")
      argerror(tonumber(n) or 2, "log", why or tostring(formatted))
    end
    msg = formatted
  end
  hostcall("log", { message = msg, level = "info" })
end

-- w:now(): the execution clock in milliseconds since the epoch (journaled, so replays see the same time).
function methods:now()
  check_self(self, "now")
  return (hostcall("now", {}))
end

-- w:random() in [0, 1); w:random(n) in [1, n]; w:random(m, n) in [m, n]. Journaled.
function methods:random(m, n)
  check_self(self, "random")
  local args = {}
  if m ~= nil then
    if math.type(m) ~= "integer" then argerror(1, "random", "integer expected") end
    if n == nil then m, n = 1, m end
    if math.type(n) ~= "integer" then argerror(2, "random", "integer expected") end
    if m > n then argerror(2, "random", "interval is empty") end
    args.m, args.n = m, n
  end
  return (hostcall("random", args))
end

local function check_what(what, fname)
  if what ~= nil and type(what) ~= "string" then argerror(2, fname, "description string expected", 4) end
  return what or "a check"
end

-- w:expect(ok, what): in a drill a false `ok` fails the hook; in a recovery it records a warning and the
-- hook goes on. Returns ok.
function methods:expect(ok, what)
  check_self(self, "expect")
  what = check_what(what, "expect")
  hostcall("expect", { ok = ok and true or false, what = what })
  if not ok then
    if self.mode == "recovery" then
      warn(("expectation failed: %s"):format(what))
      return false
    end
    fail(("expectation failed: %s"):format(what))
  end
  return ok
end

-- w:assert(ok, what): a false `ok` fails the hook, in drills and recoveries alike.
function methods:assert(ok, what)
  check_self(self, "assert")
  what = check_what(what, "assert")
  hostcall("assert", { ok = ok and true or false, what = what })
  if not ok then fail(("assertion failed: %s"):format(what)) end
  return ok
end

-- The method names, for the API description and the LuaLS stub check.
function M.methods()
  local names = {}
  for k in pairs(methods) do names[#names + 1] = k end
  table.sort(names)
  return names
end

local function new_context(data)
  contexts[data] = true
  return setmetatable(data, CTX_MT)
end

-- Run hook `fn` with the context built from the host's data.
function M.run(fn, data)
  fn(new_context(data))
end

return M
