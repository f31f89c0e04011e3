-- drs.ssm: running commands on a wave's recovered instances through SSM Run Command, and reading the
-- result. Linux uses AWS-RunShellScript, Windows AWS-RunPowerShellScript. Uses w:ssm_run (the host).
--
-- A result (from w:ssm_run) looks like:
--   { status = "Success", instances = { { instance_id = "i-...", status = "Success", exit_code = 0,
--                                         stdout = "...", stderr = "" }, ... } }

local M = {}

-- 'it'"'"'s' : a string quoted for a POSIX shell.
function M.quote(s)
  return "'" .. tostring(s):gsub("'", "'\"'\"'") .. "'"
end

-- The same for PowerShell single-quoted strings.
function M.pwsh_quote(s)
  return "'" .. tostring(s):gsub("'", "''") .. "'"
end

local function windows(opts)
  return opts and opts.platform == "windows"
end

-- Run `script` (a string or a list of lines) on the wave's instances (or opts.instance_ids).
-- opts: platform ("linux" | "windows"), timeout ("10m": the engine first waits for the SSM agents to come online), instance_ids.
function M.run(w, script, opts)
  opts = opts or {}
  local commands = type(script) == "table" and script or { script }
  return w:ssm_run({
    document = windows(opts) and "AWS-RunPowerShellScript" or "AWS-RunShellScript",
    commands = commands,
    instance_ids = opts.instance_ids,
    timeout = opts.timeout or "10m", -- a freshly launched instance may need minutes to bring its SSM agent online
  })
end

-- true when every instance succeeded with exit code 0; else false and which did not.
function M.all_ok(result)
  if type(result) ~= "table" or type(result.instances) ~= "table" or #result.instances == 0 then
    return false, "no instance reported a result"
  end
  local bad = {}
  for _, inst in ipairs(result.instances) do
    if inst.status ~= "Success" or (inst.exit_code or 0) ~= 0 then
      local err = inst.stderr and inst.stderr ~= json.null and inst.stderr:sub(1, 200) or ""
      bad[#bad + 1] = ("%s: %s (exit %s) %s"):format(tostring(inst.instance_id), tostring(inst.status),
        tostring(inst.exit_code), err)
    end
  end
  if #bad > 0 then return false, table.concat(bad, "; ") end
  return true
end

-- Run and judge in one step: true, result | false, reason.
function M.check(w, script, opts)
  local result, err, code = M.run(w, script, opts)
  if not result then return false, ("SSM command failed: %s (%s)"):format(tostring(err), tostring(code)) end
  local ok, why = M.all_ok(result)
  if not ok then return false, why end
  return true, result
end

M.windows = windows

return M
