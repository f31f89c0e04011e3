-- plan.locate: columns for problems. A plan is data built by function calls, so Lua's debug information
-- gives the line of each plan/wave call but not where a key sits inside its table; this module finds it
-- in the source text (kept in orch.sources while a plan compiles), skipping comments. Uses orch.sources.

local M = {}
local cache = {}
local WINDOW = 400 -- lines searched after a table's first line

function M.reset()
  cache = {}
end

local function lines(file)
  local c = cache[file]
  if c then return c end
  local text = orch.sources and orch.sources[file]
  if type(text) ~= "string" then return nil end
  c = {}
  local pos = 1
  while pos <= #text + 1 do
    local nl = string.find(text, "\n", pos, true)
    if not nl then
      c[#c + 1] = string.sub(text, pos)
      break
    end
    c[#c + 1] = string.sub(text, pos, nl - 1)
    pos = nl + 1
  end
  cache[file] = c
  return c
end

-- The line without its trailing comment (a "--" outside quotes).
local function code(line)
  local quote = nil
  local i, n = 1, #line
  while i <= n do
    local ch = string.sub(line, i, i)
    if quote then
      if ch == "\\" then i = i + 1 elseif ch == quote then quote = nil end
    elseif ch == '"' or ch == "'" then
      quote = ch
    elseif ch == "-" and string.sub(line, i + 1, i + 1) == "-" then
      return string.sub(line, 1, i - 1)
    end
    i = i + 1
  end
  return line
end

-- The first `key =` at or after `from`: its line and column (or, with value_of, the value's column).
function M.key(file, from, key, value_of)
  local ls = lines(file)
  if not ls then return nil end
  local pat = "%f[%w_]" .. key .. "%s*=[^=]"
  for i = from, math.min(#ls, from + WINDOW) do
    local s, e = string.find(code(ls[i]), pat)
    if s then
      if value_of then
        local v = string.find(ls[i], "%S", e)
        return i, v or e
      end
      return i, s
    end
  end
  return nil
end

-- The first occurrence of `text` (quoted if it can be, else as a word) at or after `from`.
function M.text(file, from, text)
  local ls = lines(file)
  if not ls or type(text) ~= "string" or text == "" then return nil end
  for i = from, math.min(#ls, from + WINDOW) do
    local c = code(ls[i])
    local s = string.find(c, '"' .. text .. '"', 1, true) or string.find(c, "'" .. text .. "'", 1, true)
    if s then return i, s end
  end
  for i = from, math.min(#ls, from + WINDOW) do
    local s = string.find(code(ls[i]), text, 1, true)
    if s then return i, s end
  end
  return nil
end

-- The first line at or after `from` whose code matches Lua pattern `pat`.
function M.pattern(file, from, pat)
  local ls = lines(file)
  if not ls then return nil end
  for i = from, #ls do
    if string.find(code(ls[i]), pat) then return i end
  end
  return nil
end

-- `text` searched from the line holding `key`.
function M.key_text(file, from, key, text)
  local l = M.key(file, from, key)
  if not l then return nil end
  return M.text(file, l, text)
end

function M.first_column(file, line)
  local ls = lines(file)
  local s = ls and ls[line] and string.find(ls[line], "%S")
  return s or 1
end

function M.last_line(file)
  local ls = lines(file)
  if not ls then return 1 end
  for i = #ls, 1, -1 do
    if string.find(ls[i], "%S") then return i end
  end
  return 1
end

return M
