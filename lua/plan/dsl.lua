-- plan.dsl: the functions a plan file is written with (plan, wave, group, tags). They build plain tables
-- and remember, beside each, what it is and the file:line that made it, for the validator. They never
-- raise on a bad field: the validator reports every problem at once. Uses orch.caller (engine internals).

local M = {}

-- table or function -> { kind = "plan"|"wave"|"wave_header"|"selector", file, line, name }
local meta = setmetatable({}, { __mode = "k" })

local function here()
  return orch.caller()
end

local function plan(spec)
  local file, line = here()
  if type(spec) ~= "table" then
    error(("plan expects a table, got %s: write plan { name = ..., waves = { ... } }"):format(type(spec)), 2)
  end
  meta[spec] = { kind = "plan", file = file, line = line }
  return spec
end

local function wave(name)
  local file, line = here()
  if type(name) == "table" then -- wave { name = "db", ... }
    meta[name] = { kind = "wave", file = file, line = line, name = rawget(name, "name"), inline = true }
    return name
  end
  local header = { kind = "wave_header", file = file, line = line, name = name }
  local function body(spec)
    if type(spec) ~= "table" then
      error(("wave %q expects a table: wave %q { servers = ... }"):format(tostring(name), tostring(name)), 2)
    end
    meta[spec] = { kind = "wave", file = file, line = line, name = name }
    return spec
  end
  meta[body] = header
  return body
end

-- Remember `sel` as a server selector made at the plan's current line.
local function selector(sel)
  local file, line = here()
  meta[sel] = { kind = "selector", file = file, line = line }
  return sel
end

local function group(name)
  return selector({ kind = "group", group = name })
end

local function tags(t)
  return selector({ kind = "tags", tags = t })
end

M.globals = { plan = plan, wave = wave, group = group, tags = tags }

-- What the DSL knows about `v` (nil for values it did not make).
function M.meta(v)
  return meta[v]
end

return M
