-- plan.compile: evaluates a plan file in the sandbox and validates what it returned. Syntax errors
-- become a problem here; a runtime error or a limit while the file runs propagates to C, which reports
-- it with the plan line. Uses plan.validate, plan.locate, orch.loadplan, orch.sources.

local validate = orch.require("plan.validate")
local locate = orch.require("plan.locate")

local M = {}

local SYNTAX_HINTS = {
  { "'}' expected", "a comma may be missing between two fields, or a '}' is missing" },
  { "'%)' expected", "a ')' is missing, or a comma between two arguments" },
  { "'=' expected", "fields are written key = value" },
  { "unfinished string", "close the string with the quote it opened with" },
  { "'end' expected", "a function, if, for or while is missing its 'end'" },
  { "<eof>", "something opened earlier is not closed before the end of the file" },
  { "unexpected symbol", "look for a missing comma, quote or bracket just before this point" },
}

local function syntax_problem(msg, file)
  local line, text = string.match(msg, "^.-:(%d+): (.*)$")
  line = math.tointeger(tonumber(line)) or 1
  text = text or msg
  local col
  local near = string.match(text, "near '(.-)'$")
  if near and near ~= "<eof>" then
    local l, c = locate.text(file, line, near)
    if l == line then col = c end
  end
  local hint
  for _, h in ipairs(SYNTAX_HINTS) do
    if string.find(text, h[1]) then hint = h[2] break end
  end
  local problems = orch.array({})
  problems[1] = { file = file, line = line, column = col or locate.first_column(file, line), code = "syntax",
    message = text, hint = hint }
  return problems
end

-- Returns compiled, problems, hook functions by id, and the plan value.
function M.run(text, file, known_groups)
  orch.sources = { [file] = text }
  locate.reset()
  local fn, err = orch.loadplan(text, file)
  if not fn then
    local problems = syntax_problem(err, file)
    orch.sources = nil
    return nil, problems, {}, nil
  end
  local value = fn()
  local compiled, problems, hookfns = validate.check(value, file, known_groups)
  if #problems == 0 then orch.keep_hooks(hookfns) end
  orch.sources = nil
  locate.reset()
  return compiled, problems, hookfns, value
end

return M
