-- plan.validate: checks the value a plan file returned and compiles it into the description the
-- scheduler and the console use (waves, edges, levels, gates, selectors, hook references). Every problem
-- is collected with file, line, column, a code and a fix hint. Uses plan.dsl (metadata), plan.locate
-- (columns), and engine internals: orch.nearest, orch.duration, orch.timestamp, orch.funcinfo, orch.array.

local dsl = orch.require("plan.dsl")
local locate = orch.require("plan.locate")

local M = {}

local PLAN_KEYS = { "name", "description", "region", "account", "rto_target", "rpo_target", "notify", "waves",
  "cleanup", "launch", "snapshot", "aws_allow", "ssm_documents" }
local WAVE_KEYS = { "name", "description", "depends_on", "servers", "snapshot", "launch", "approval", "on_failure",
  "before", "after", "timeout" }
local LAUNCH_KEYS = { "instance_type", "copy_private_ip", "copy_tags", "launch_disposition", "right_sizing",
  "os_byol", "subnet_id", "security_group_ids", "tags" }
local NOTIFY_KEYS = { "sns", "events" }
local NOTIFY_EVENTS = { "execution_started", "wave_started", "wave_completed", "wave_failed", "approval_requested",
  "execution_completed", "execution_failed", "execution_cancelled", "cleanup_done", "cleanup_failed" }
local APPROVAL_KEYS = { "message", "timeout", "approvers" }
local ON_FAILURE_KEYS = { "policy", "run" }
local MAX_PROBLEMS = 200

local array = orch.array

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

local PLAN_KEYSET, WAVE_KEYSET = set_of(PLAN_KEYS), set_of(WAVE_KEYS)
local LAUNCH_KEYSET, NOTIFY_KEYSET = set_of(LAUNCH_KEYS), set_of(NOTIFY_KEYS)
local APPROVAL_KEYSET, ON_FAILURE_KEYSET = set_of(APPROVAL_KEYS), set_of(ON_FAILURE_KEYS)
local NOTIFY_EVENTSET = set_of(NOTIFY_EVENTS)

-- A validation run: the problems found so far and where to point at.
local Run = {}
Run.__index = Run

local function new_run(file, known_groups)
  return setmetatable({ file = file, problems = array({}), known_groups = known_groups }, Run)
end

-- at: { file, line, key? , value? } -> file, line, column
function Run:where(at)
  local file, line = at.file or self.file, at.line or 1
  local col = 1
  if at.key and at.text then
    local l, c = locate.key_text(file, line, at.key, at.text)
    if l then return file, l, c end
  end
  if at.key then
    local l, c = locate.key(file, line, at.key, at.value_of)
    if l then line, col = l, c end
  elseif at.text then
    local l, c = locate.text(file, line, at.text)
    if l then line, col = l, c end
  else
    col = locate.first_column(file, line)
  end
  return file, line, col
end

function Run:add(at, code, message, hint)
  if #self.problems >= MAX_PROBLEMS then return end
  local file, line, col = self:where(at)
  self.problems[#self.problems + 1] = { file = file, line = line, column = col, code = code, message = message,
    hint = hint }
end

local function did_you_mean(word, candidates)
  if type(word) ~= "string" then return nil end
  local near = orch.nearest(word, candidates)
  return near and ("did you mean '" .. near .. "'?") or nil
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

function Run:check_keys(t, allowed_set, allowed_list, at, what)
  for _, k in ipairs(sorted_keys(t)) do
    if type(k) ~= "string" then
      self:add(at, "unknown_key", ("%s has a list item where only named fields belong"):format(what),
        "write fields as key = value (waves go in waves = { ... })")
    elseif not allowed_set[k] then
      self:add({ file = at.file, line = at.line, key = k }, "unknown_key", ("unknown key '%s' in %s"):format(k, what),
        did_you_mean(k, allowed_list) or ("known keys: " .. table.concat(allowed_list, ", ")))
    end
  end
end

function Run:type_problem(at, key, expected, got, hint)
  self:add({ file = at.file, line = at.line, key = key, value_of = true }, "type",
    ("'%s' must be %s, got %s"):format(key, expected, type(got)), hint)
end

function Run:string_field(t, key, at, what, opts)
  local v = t[key]
  if v == nil then
    if opts and opts.required then
      self:add(at, "missing", ("%s needs '%s'"):format(what, key), opts.hint)
    end
    return nil
  end
  if type(v) ~= "string" then
    self:type_problem(at, key, "a string", v, opts and opts.hint)
    return nil
  end
  if opts and opts.pattern and not v:match(opts.pattern) then
    self:add({ file = at.file, line = at.line, key = key, value_of = true }, "bad_value",
      ("'%s' is not a valid %s: %q"):format(key, opts.what or key, v), opts.hint)
    return nil
  end
  return v
end

-- A list of strings each matching `check`: a pattern, or a function(s) returning nil when `s` is fine and
-- otherwise a problem code, message and hint (the plan's aws_allow and ssm_documents).
function Run:string_list(t, key, at, check, what, hint)
  local v = t[key]
  if v == nil then return array({}) end
  if type(v) ~= "table" then
    self:type_problem(at, key, "a list of strings", v, hint)
    return array({})
  end
  local out, lat = array({}), { file = at.file, line = locate.key(at.file, at.line, key) or at.line }
  for k in pairs(v) do
    if math.type(k) ~= "integer" then
      self:add({ file = lat.file, line = lat.line, key = key }, "type", ("'%s' must be a list, it has a field '%s'"):format(key, tostring(k)), hint)
      return out
    end
  end
  for i, s in ipairs(v) do
    local code, msg, why_hint
    if type(s) ~= "string" then
      code = "bad_value"
    elseif type(check) == "function" then
      code, msg, why_hint = check(s)
    elseif not s:match(check) then
      code = "bad_value"
    end
    if code == nil then
      out[#out + 1] = s
    elseif code == "bad_value" then
      self:add({ file = lat.file, line = lat.line, key = key, value_of = true }, "bad_value",
        ("%s[%d] is not a %s: %s"):format(key, i, what, type(s) == "string" and ("%q"):format(s) or type(s)), msg or hint)
    else
      self:add({ file = lat.file, line = lat.line, key = key, text = s }, code, ("%s[%d] %s"):format(key, i, msg), why_hint)
    end
  end
  return out
end

function Run:duration_field(t, key, at)
  local v = t[key]
  if v == nil then return nil end
  local hint = 'write durations as strings such as "45m", "1h30m", "90s"'
  if type(v) ~= "string" then
    self:type_problem(at, key, "a duration string", v, hint)
    return nil
  end
  local ms, err = orch.duration(v)
  if not ms then
    self:add({ file = at.file, line = at.line, key = key, value_of = true }, "bad_duration",
      ("'%s' is not a duration: %q (%s)"):format(key, v, err), hint)
    return nil
  end
  return { text = v, ms = ms }
end

local function hook_ref(id, f)
  local file, line = orch.funcinfo(f)
  return { id = id, file = file, line = line }
end

function Run:snapshot(v, at)
  if v == nil then return nil end
  local hint = 'use "latest" or a UTC time such as "2026-11-30T01:00:00Z" (the newest snapshot at or before it)'
  if type(v) ~= "string" then
    self:type_problem(at, "snapshot", "a string", v, hint)
    return nil
  end
  if v == "latest" then return { kind = "latest" } end
  local ms = orch.timestamp(v)
  if not ms then
    self:add({ file = at.file, line = at.line, key = "snapshot", value_of = true }, "bad_value",
      ("'snapshot' is neither \"latest\" nor a time: %q"):format(v), hint)
    return nil
  end
  return { kind = "point_in_time", at = orch.iso(ms), at_ms = ms }
end

function Run:launch(v, at, what)
  if v == nil then return nil end
  if type(v) ~= "table" then
    self:type_problem(at, "launch", "a table of launch settings", v, "launch = { instance_type = \"m5.large\" }")
    return nil
  end
  local lat = { file = at.file, line = at.line }
  local l = locate.key(at.file, at.line, "launch")
  if l then lat.line = l end
  self:check_keys(v, LAUNCH_KEYSET, LAUNCH_KEYS, lat, "launch settings of " .. what)
  local out = {}
  out.instance_type = self:string_field(v, "instance_type", lat, "launch", { pattern = "^[%w%-]+%.[%w%-]+$",
    what = "EC2 instance type", hint = 'such as "m5.large"' })
  for _, k in ipairs({ "copy_private_ip", "copy_tags", "os_byol" }) do
    if v[k] ~= nil then
      if type(v[k]) ~= "boolean" then self:type_problem(lat, k, "true or false", v[k]) else out[k] = v[k] end
    end
  end
  local disp = self:string_field(v, "launch_disposition", lat, "launch")
  if disp then
    if disp ~= "STARTED" and disp ~= "STOPPED" then
      self:add({ file = lat.file, line = lat.line, key = "launch_disposition", value_of = true }, "bad_value",
        ("'launch_disposition' must be \"STARTED\" or \"STOPPED\", got %q"):format(disp))
    else
      out.launch_disposition = disp
    end
  end
  local rs = self:string_field(v, "right_sizing", lat, "launch")
  if rs then
    if rs ~= "NONE" and rs ~= "BASIC" and rs ~= "IN_AWS" then
      self:add({ file = lat.file, line = lat.line, key = "right_sizing", value_of = true }, "bad_value",
        ("'right_sizing' must be \"NONE\", \"BASIC\" or \"IN_AWS\", got %q"):format(rs))
    else
      out.right_sizing = rs
    end
  end
  out.subnet_id = self:string_field(v, "subnet_id", lat, "launch", { pattern = "^subnet%-%x+$", what = "subnet id" })
  if v.security_group_ids ~= nil then
    if type(v.security_group_ids) ~= "table" then
      self:type_problem(lat, "security_group_ids", "a list of security group ids", v.security_group_ids)
    else
      local ids = array({})
      for i, id in ipairs(v.security_group_ids) do
        if type(id) ~= "string" or not id:match("^sg%-%x+$") then
          self:add({ file = lat.file, line = lat.line, key = "security_group_ids", value_of = true }, "bad_value",
            ("security_group_ids[%d] is not a security group id: %s"):format(i, tostring(id)), 'such as "sg-0123abcd"')
        else
          ids[#ids + 1] = id
        end
      end
      out.security_group_ids = ids
    end
  end
  if v.tags ~= nil then
    if type(v.tags) ~= "table" then
      self:type_problem(lat, "tags", "a table of tag names to values", v.tags)
    else
      local t = {}
      for _, k in ipairs(sorted_keys(v.tags)) do
        if type(k) ~= "string" or type(v.tags[k]) ~= "string" then
          self:add({ file = lat.file, line = lat.line, key = "tags" }, "type", "launch tags must map strings to strings")
        else
          t[k] = v.tags[k]
        end
      end
      out.tags = t
    end
  end
  return out
end

-- A wave's launch settings over the plan's, key by key (tags too): what the wave does not say, the plan's.
local function merge_launch(base, over)
  if base == nil then return over end
  if over == nil then return base end
  local out = {}
  for k, v in pairs(base) do out[k] = v end
  for k, v in pairs(over) do
    if type(v) == "table" and type(out[k]) == "table" and k == "tags" then
      local t = {}
      for tk, tv in pairs(out[k]) do t[tk] = tv end
      for tk, tv in pairs(v) do t[tk] = tv end
      out[k] = t
    else
      out[k] = v
    end
  end
  return out
end

local SERVER_ID = "^s%-" .. string.rep("%x", 17) .. "$"

function Run:servers(v, at, wname, seen_servers)
  local hint = 'servers = group "name", tags { App = "orders" }, or a list of source server ids { "s-...", ... }'
  local m = dsl.meta(v)
  if m and m.kind == "selector" then
    if v.kind == "group" then
      if type(v.group) ~= "string" or v.group == "" then
        self:add({ file = m.file, line = m.line, text = "group" }, "type", "group expects a protection group name",
          'group "orders-db"')
        return nil
      end
      if self.known_groups and not self.known_groups[v.group] then
        self:add({ file = m.file, line = m.line, text = v.group }, "unknown_group",
          ("unknown protection group '%s'"):format(v.group),
          did_you_mean(v.group, self.known_group_list) or "create the protection group first")
      end
      return { kind = "group", group = v.group }
    end
    if type(v.tags) ~= "table" then
      self:add({ file = m.file, line = m.line, text = "tags" }, "type", "tags expects a table of tag names to values",
        'tags { App = "orders", Tier = "db" }')
      return nil
    end
    local t, n = {}, 0
    for _, k in ipairs(sorted_keys(v.tags)) do
      local val = v.tags[k]
      if type(k) ~= "string" then
        self:add({ file = m.file, line = m.line, text = "tags" }, "type", "tag names must be strings",
          'tags { App = "orders" }')
      elseif type(val) ~= "string" then
        self:add({ file = m.file, line = m.line, text = k }, "type",
          ("tag '%s' must have a string value, got %s"):format(k, type(val)))
      else
        t[k] = val
        n = n + 1
      end
    end
    if n == 0 then
      self:add({ file = m.file, line = m.line, text = "tags" }, "empty_wave",
        ("wave '%s' selects servers by an empty tag query"):format(wname), "name at least one tag: tags { App = \"orders\" }")
      return nil
    end
    return { kind = "tags", tags = t }
  end
  if type(v) ~= "table" then
    self:type_problem(at, "servers", "a selector or a list of server ids", v, hint)
    return nil
  end
  local ids, here = array({}), {}
  for k, id in pairs(v) do
    if type(k) ~= "number" then
      self:add({ file = at.file, line = at.line, key = "servers" }, "type",
        ("servers of wave '%s' has a named field '%s'"):format(wname, tostring(k)), hint)
      return nil
    end
  end
  for i, id in ipairs(v) do
    if type(id) ~= "string" or not id:match(SERVER_ID) then
      self:add({ file = at.file, line = at.line, text = type(id) == "string" and id or nil, key = type(id) ~= "string" and "servers" or nil },
        "bad_value", ("servers[%d] of wave '%s' is not a source server id: %s"):format(i, wname, tostring(id)),
        'source server ids look like "s-1234567890abcdef0" ("s-" and 17 hex digits)')
    elseif here[id] then
      self:add({ file = at.file, line = at.line, text = id }, "duplicate_server",
        ("server %s is listed twice in wave '%s'"):format(id, wname))
    elseif seen_servers[id] then
      self:add({ file = at.file, line = at.line, text = id }, "duplicate_server",
        ("server %s is in waves '%s' and '%s'"):format(id, seen_servers[id], wname),
        "a server is recovered by one wave only")
    else
      here[id] = true
      seen_servers[id] = wname
      ids[#ids + 1] = id
    end
  end
  if #v == 0 then
    self:add({ file = at.file, line = at.line, key = "servers" }, "empty_wave",
      ("wave '%s' has an empty server list"):format(wname), hint)
    return nil
  end
  return { kind = "ids", ids = ids }
end

function Run:approval(v, at)
  if v == nil then return nil end
  if type(v) == "string" then
    if v == "" then
      self:add({ file = at.file, line = at.line, key = "approval", value_of = true }, "bad_value",
        "an approval needs a message for the approver")
      return nil
    end
    return { message = v, approvers = array({}) }
  end
  if type(v) ~= "table" then
    self:type_problem(at, "approval", "a message or a table", v, 'approval = "Confirm the database is consistent"')
    return nil
  end
  local aat = { file = at.file, line = locate.key(at.file, at.line, "approval") or at.line }
  self:check_keys(v, APPROVAL_KEYSET, APPROVAL_KEYS, aat, "approval")
  local out = { approvers = array({}) }
  out.message = self:string_field(v, "message", aat, "an approval", { required = true,
    hint = 'approval = { message = "Confirm the database is consistent" }' })
  local d = self:duration_field(v, "timeout", aat)
  if d then out.timeout, out.timeout_ms = d.text, d.ms end
  if v.approvers ~= nil then
    if type(v.approvers) ~= "table" then
      self:type_problem(aat, "approvers", "a list of user or role names", v.approvers)
    else
      for _, a in ipairs(v.approvers) do
        if type(a) == "string" then out.approvers[#out.approvers + 1] = a end
      end
    end
  end
  return out
end

function Run:policy(v, at)
  local hint = 'on_failure = "fail" (the default), "continue", or "retry(2)"'
  if v == "fail" or v == "continue" then return { policy = v, retries = 0 } end
  local n = type(v) == "string" and v:match("^retry%((%d+)%)$")
  if n then
    n = math.tointeger(tonumber(n))
    if n and n >= 1 and n <= 10 then return { policy = "retry", retries = n } end
    self:add({ file = at.file, line = at.line, key = "on_failure", value_of = true }, "bad_value",
      "retry count must be between 1 and 10", hint)
    return nil
  end
  self:add({ file = at.file, line = at.line, key = "on_failure", value_of = true }, "bad_value",
    ("'on_failure' is not a policy: %s"):format(type(v) == "string" and ("%q"):format(v) or type(v)),
    type(v) == "string" and did_you_mean(v, { "fail", "continue", "retry(1)" }) or hint)
  return nil
end

-- The wave's on_failure: a policy string, a hook function, or { policy = ..., run = function }.
function Run:on_failure(v, at, wname, hooks, hookfns)
  if v == nil then return { policy = "fail", retries = 0 } end
  if type(v) == "function" then
    local id = wname .. "/on_failure"
    hooks.on_failure = hook_ref(id, v)
    hookfns[id] = v
    return { policy = "fail", retries = 0 }
  end
  if type(v) == "table" then
    local oat = { file = at.file, line = locate.key(at.file, at.line, "on_failure") or at.line }
    self:check_keys(v, ON_FAILURE_KEYSET, ON_FAILURE_KEYS, oat, "on_failure")
    local p = v.policy == nil and { policy = "fail", retries = 0 } or self:policy(v.policy, oat)
    if v.run ~= nil then
      if type(v.run) ~= "function" then
        self:type_problem(oat, "run", "a function", v.run)
      else
        local id = wname .. "/on_failure"
        hooks.on_failure = hook_ref(id, v.run)
        hookfns[id] = v.run
      end
    end
    return p
  end
  return self:policy(v, at)
end

local WAVE_NAME = "^[%w][%w%-_.]*$"

function Run:wave(v, index, plan_at, ctx)
  local m = dsl.meta(v)
  if not m or (m.kind ~= "wave" and m.kind ~= "wave_header") then
    local what = m and m.kind or type(v)
    self:add({ file = plan_at.file, line = plan_at.line, key = "waves" }, "type",
      ("waves[%d] is not a wave (it is a %s)"):format(index, what), 'write wave "name" { servers = ... }')
    return nil
  end
  local at = { file = m.file, line = m.line }
  local name = m.name
  if m.kind == "wave_header" then
    self:add({ file = at.file, line = at.line, text = "wave" }, "type",
      ("wave '%s' has no body"):format(tostring(name)), ('write wave %q { servers = ... }'):format(tostring(name)))
    return nil
  end
  if type(name) ~= "string" or not name:match(WAVE_NAME) or #name > 64 then
    self:add({ file = at.file, line = at.line, text = "wave" }, "bad_value",
      ("wave name must be a string of letters, digits, '-', '_' or '.', got %s"):format(
        type(name) == "string" and ("%q"):format(name) or type(name)), 'wave "database" { ... }')
    return nil
  end
  local wat = { file = at.file, line = at.line }
  local before_keys = #self.problems
  if m.inline then
    self:check_keys(v, WAVE_KEYSET, WAVE_KEYS, wat, ("wave '%s'"):format(name))
  else
    local keys = {}
    for _, k in ipairs(WAVE_KEYS) do if k ~= "name" then keys[#keys + 1] = k end end
    self:check_keys(v, set_of(keys), keys, wat, ("wave '%s'"):format(name))
  end
  local w = { name = name, index = index - 1, location = { file = at.file, line = at.line }, hooks = {} }
  local _, _, col = self:where({ file = at.file, line = at.line, text = name })
  w.location.column = col
  w.description = self:string_field(v, "description", wat, "wave")
  -- depends_on
  local deps = array({})
  local d = v.depends_on
  if type(d) == "string" then d = { d } end
  if d ~= nil then
    if type(d) ~= "table" then
      self:type_problem(wat, "depends_on", "a wave name or a list of wave names", v.depends_on, 'depends_on = { "database" }')
    else
      local seen = {}
      for i, dep in ipairs(d) do
        if type(dep) ~= "string" then
          self:add({ file = wat.file, line = wat.line, key = "depends_on", value_of = true }, "type",
            ("depends_on[%d] of wave '%s' must be a wave name, got %s"):format(i, name, type(dep)))
        elseif not seen[dep] then
          seen[dep] = true
          deps[#deps + 1] = dep
        end
      end
    end
  end
  w.depends_on = deps
  w._deps_at = wat
  -- servers
  if v.servers ~= nil then
    w.servers = self:servers(v.servers, wat, name, ctx.seen_servers)
  end
  w.snapshot = self:snapshot(v.snapshot, wat) or ctx.default_snapshot or { kind = "latest" }
  w.launch = merge_launch(ctx.default_launch, self:launch(v.launch, wat, ("wave '%s'"):format(name)))
  w.approval = self:approval(v.approval, wat)
  local t = self:duration_field(v, "timeout", wat)
  if t then w.timeout, w.timeout_ms = t.text, t.ms end
  for _, phase in ipairs({ "before", "after" }) do
    local f = v[phase]
    if f ~= nil then
      if type(f) ~= "function" then
        self:type_problem(wat, phase, "a function", f, ("%s = function(w) ... end"):format(phase))
      else
        local id = name .. "/" .. phase
        w.hooks[phase] = hook_ref(id, f)
        ctx.hookfns[id] = f
      end
    end
  end
  local p = self:on_failure(v.on_failure, wat, name, w.hooks, ctx.hookfns)
  if p then w.on_failure = p end
  -- a misspelt key (servrs) already explains a missing field: no second problem for it
  if v.servers == nil and next(w.hooks) == nil and #self.problems == before_keys then
    self:add({ file = at.file, line = at.line, text = name }, "empty_wave", ("wave '%s' has no servers and no hooks"):format(name),
      'add servers = group "name", tags { ... } or a list of source server ids')
  end
  return w
end

-- Cycles (each printed once), unreachable waves, levels and a topological order.
function Run:graph(waves, byname, names)
  local edges = array({})
  for _, w in ipairs(waves) do
    local known = array({})
    for _, dep in ipairs(w.depends_on) do
      if dep == w.name then
        self:add({ file = w._deps_at.file, line = w._deps_at.line, key = "depends_on", text = dep }, "cycle",
          ("wave '%s' depends on itself"):format(w.name), "remove it from its own depends_on")
      elseif not byname[dep] then
        self:add({ file = w._deps_at.file, line = w._deps_at.line, key = "depends_on", text = dep },
          "unknown_dependency", ("wave '%s' depends on unknown wave '%s'"):format(w.name, dep),
          did_you_mean(dep, names) or ("the waves are: " .. table.concat(names, ", ")))
      else
        known[#known + 1] = dep
        edges[#edges + 1] = { from = dep, to = w.name }
      end
    end
    w._known = known
  end
  -- cycles: depth-first search; a grey dependency closes a cycle
  local color, stack, in_cycle, reported = {}, {}, {}, {}
  local function visit(w)
    color[w.name] = "grey"
    stack[#stack + 1] = w.name
    for _, dep in ipairs(w._known) do
      if color[dep] == "grey" then
        local cyc, start = {}, nil
        for i = #stack, 1, -1 do
          if stack[i] == dep then start = i break end
        end
        for i = start, #stack do cyc[#cyc + 1] = stack[i] end
        local key = {}
        for _, n in ipairs(cyc) do key[#key + 1] = n; in_cycle[n] = true end
        table.sort(key)
        key = table.concat(key, "\0")
        if not reported[key] then
          reported[key] = true
          -- print the cycle in dependency order: a -> b means b depends on a
          local path = {}
          for i = #cyc, 1, -1 do path[#path + 1] = cyc[i] end
          path[#path + 1] = cyc[#cyc]
          local first = byname[cyc[#cyc]]
          self:add({ file = first._deps_at.file, line = first._deps_at.line, key = "depends_on" }, "cycle",
            "waves depend on each other in a cycle: " .. table.concat(path, " -> "),
            "remove one of these depends_on entries")
        end
      elseif color[dep] == nil then
        visit(byname[dep])
      end
    end
    stack[#stack] = nil
    color[w.name] = "black"
  end
  for _, w in ipairs(waves) do
    if color[w.name] == nil then visit(w) end
  end
  -- unreachable: waves outside any cycle that wait on one
  local blocked = {}
  local function blocker(w, seen)
    if blocked[w.name] ~= nil then return blocked[w.name] end
    if seen[w.name] then return false end
    seen[w.name] = true
    for _, dep in ipairs(w._known) do
      if in_cycle[dep] then blocked[w.name] = dep return dep end
      local b = blocker(byname[dep], seen)
      if b then blocked[w.name] = b return b end
    end
    blocked[w.name] = false
    return false
  end
  for _, w in ipairs(waves) do
    if not in_cycle[w.name] then
      local b = blocker(w, {})
      if b then
        self:add({ file = w.location.file, line = w.location.line, text = w.name }, "unreachable_wave",
          ("wave '%s' can never start: it waits on '%s', which is part of a cycle"):format(w.name, b),
          "break the cycle first")
      end
    end
  end
  -- levels (longest path from a root) and order, for an acyclic graph
  local level, order, levels = {}, array({}), array({})
  if next(in_cycle) == nil then
    local function lv(w)
      if level[w.name] then return level[w.name] end
      local l = 0
      for _, dep in ipairs(w._known) do
        local dl = lv(byname[dep]) + 1
        if dl > l then l = dl end
      end
      level[w.name] = l
      return l
    end
    for _, w in ipairs(waves) do
      w.level = lv(w)
      while #levels <= w.level do levels[#levels + 1] = array({}) end
      local bucket = levels[w.level + 1]
      bucket[#bucket + 1] = w.name
    end
    for _, bucket in ipairs(levels) do
      for _, n in ipairs(bucket) do order[#order + 1] = n end
    end
  end
  return edges, order, levels
end

function Run:plan(value, plan_file)
  local m = dsl.meta(value)
  if value == nil then
    self:add({ file = plan_file, line = locate.last_line(plan_file) }, "not_a_plan", "the plan file returns nothing",
      "end it with: return plan { name = ..., waves = { ... } }")
    return nil
  end
  if not m or m.kind ~= "plan" then
    self:add({ file = plan_file, line = locate.last_line(plan_file) }, "not_a_plan",
      ("the plan file must return plan { ... }, it returned a %s"):format(type(value)),
      "end it with: return plan { name = ..., waves = { ... } }")
    return nil
  end
  local at = { file = m.file, line = m.line }
  if at.line == 0 or at.file == "?" then
    -- `return plan { ... }` is a tail call: Lua keeps no frame to name the line, so find it in the text
    at.file = plan_file
    at.line = locate.pattern(plan_file, 1, "%f[%w_]plan%s*[{(]") or locate.last_line(plan_file)
  end
  self:check_keys(value, PLAN_KEYSET, PLAN_KEYS, at, "the plan")
  local out = { format = 1 }
  out.name = self:string_field(value, "name", at, "the plan", { required = true, pattern = "^[%w][%w%-_. ]*$",
    what = "plan name", hint = 'name = "orders" (letters, digits, spaces, "-", "_", ".")' })
  out.description = self:string_field(value, "description", at, "the plan")
  out.region = self:string_field(value, "region", at, "the plan", { pattern = "^%l%l%-[%l%-]+%-%d+$",
    what = "AWS region", hint = 'such as "us-east-1"' })
  out.account = self:string_field(value, "account", at, "the plan", { pattern = "^" .. string.rep("%d", 12) .. "$",
    what = "AWS account id", hint = "12 digits, as a string" })
  for _, k in ipairs({ "rto_target", "rpo_target" }) do
    local d = self:duration_field(value, k, at)
    if d then out[k], out[k .. "_ms"] = d.text, d.ms end
  end
  if value.notify ~= nil then
    local n = value.notify
    if type(n) ~= "table" then
      self:type_problem(at, "notify", "a table", n, 'notify = { sns = "arn:aws:sns:...:topic" }')
    else
      local nat = { file = at.file, line = locate.key(at.file, at.line, "notify") or at.line }
      self:check_keys(n, NOTIFY_KEYSET, NOTIFY_KEYS, nat, "notify")
      local arns = array({})
      local sns = type(n.sns) == "string" and { n.sns } or n.sns
      if sns ~= nil then
        if type(sns) ~= "table" then
          self:type_problem(nat, "sns", "a topic ARN or a list of them", n.sns)
        else
          for _, arn in ipairs(sns) do
            if type(arn) ~= "string" or not arn:match("^arn:aws[%w%-]*:sns:[%w%-]+:%d+:[%w%-_]+$") then
              self:add({ file = nat.file, line = nat.line, key = "sns", value_of = true }, "bad_value",
                ("not an SNS topic ARN: %s"):format(tostring(arn)), '"arn:aws:sns:us-east-1:111122223333:dr-events"')
            else
              arns[#arns + 1] = arn
            end
          end
        end
      end
      local events = array({})
      if n.events ~= nil then
        if type(n.events) ~= "table" then
          self:type_problem(nat, "events", "a list of event names", n.events)
        else
          for _, e in ipairs(n.events) do
            if not NOTIFY_EVENTSET[e] then
              self:add({ file = nat.file, line = nat.line, text = tostring(e) }, "bad_value",
                ("unknown notification event %s"):format(tostring(e)),
                did_you_mean(e, NOTIFY_EVENTS) or ("events: " .. table.concat(NOTIFY_EVENTS, ", ")))
            else
              events[#events + 1] = e
            end
          end
        end
      end
      out.notify = { sns = arns, events = events }
    end
  end
  out.aws_allow = self:string_list(value, "aws_allow", at, orch.aws_allow_entry, "\"service:Operation\", \"service:*\" or \"*\"",
    'aws_allow = { "ec2:DescribeInstances", "route53:ChangeResourceRecordSets" }')
  out.ssm_documents = self:string_list(value, "ssm_documents", at, "^[%w_%-%.:/]+$", "SSM document name",
    'ssm_documents = { "AWS-RunShellScript", "Acme-HealthCheck" }')
  local ctx = { seen_servers = {}, hookfns = {} }
  ctx.default_snapshot = self:snapshot(value.snapshot, at)
  ctx.default_launch = self:launch(value.launch, at, "the plan")
  out.snapshot = ctx.default_snapshot or { kind = "latest" }
  out.launch = ctx.default_launch
  if value.cleanup ~= nil then
    if type(value.cleanup) ~= "function" then
      self:type_problem(at, "cleanup", "a function", value.cleanup, "cleanup = function(x) ... end")
    else
      out.cleanup = hook_ref("cleanup", value.cleanup)
      ctx.hookfns.cleanup = value.cleanup
    end
  end
  local waves, byname, names = {}, {}, {}
  local wlist = value.waves
  if wlist == nil then
    self:add(at, "missing", "the plan has no waves", 'waves = { wave "database" { ... }, ... }')
  elseif type(wlist) ~= "table" then
    self:type_problem(at, "waves", "a list of waves", wlist, 'waves = { wave "database" { ... } }')
  else
    if #wlist == 0 then
      self:add({ file = at.file, line = at.line, key = "waves" }, "missing", "the plan's wave list is empty",
        'waves = { wave "database" { ... } }')
    end
    for i, v in ipairs(wlist) do
      local w = self:wave(v, i, at, ctx)
      if w then
        if byname[w.name] then
          local first = byname[w.name]
          self:add({ file = w.location.file, line = w.location.line, text = w.name }, "duplicate_wave",
            ("duplicate wave name '%s'"):format(w.name),
            ("the first is at %s:%d; wave names must be unique"):format(first.location.file, first.location.line))
        else
          byname[w.name] = w
          names[#names + 1] = w.name
          waves[#waves + 1] = w
        end
      end
    end
  end
  local edges, order, levels = self:graph(waves, byname, names)
  local cwaves, gates, hooks = array({}), array({}), array({})
  local nservers = 0
  for _, w in ipairs(waves) do
    w._deps_at, w._known = nil, nil
    local wh = {}
    for _, phase in ipairs({ "before", "after", "on_failure" }) do
      if w.hooks[phase] then
        wh[phase] = w.hooks[phase]
        hooks[#hooks + 1] = { id = w.hooks[phase].id, wave = w.name, phase = phase, file = w.hooks[phase].file,
          line = w.hooks[phase].line }
      end
    end
    w.hooks = wh
    if w.approval then
      gates[#gates + 1] = { wave = w.name, message = w.approval.message, timeout_ms = w.approval.timeout_ms,
        approvers = w.approval.approvers }
    end
    if w.servers and w.servers.kind == "ids" then nservers = nservers + #w.servers.ids end
    cwaves[#cwaves + 1] = w
  end
  if out.cleanup then
    hooks[#hooks + 1] = { id = "cleanup", phase = "cleanup", file = out.cleanup.file, line = out.cleanup.line }
  end
  out.file = plan_file
  out.waves, out.edges, out.order, out.levels, out.gates, out.hooks = cwaves, edges, order, levels, gates, hooks
  out.stats = { waves = #cwaves, edges = #edges, explicit_servers = nservers, hooks = #hooks, gates = #gates }
  return out, ctx.hookfns
end

local function by_position(a, b)
  if a.file ~= b.file then return a.file < b.file end
  if a.line ~= b.line then return a.line < b.line end
  if a.column ~= b.column then return a.column < b.column end
  return a.message < b.message
end

-- Validate the value a plan file returned. Returns compiled, problems, hook functions by id.
function M.check(value, plan_file, known_groups)
  local kg, kglist = nil, nil
  if known_groups then
    kg, kglist = {}, {}
    for _, g in ipairs(known_groups) do kg[g] = true; kglist[#kglist + 1] = g end
  end
  local run = new_run(plan_file, kg)
  run.known_group_list = kglist
  local compiled, hookfns = run:plan(value, plan_file)
  table.sort(run.problems, by_position)
  return compiled, run.problems, hookfns or {}
end

return M
