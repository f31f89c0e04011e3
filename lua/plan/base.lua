-- plan.base: replacements for base functions whose standard form is unsafe in the sandbox.
-- xpcall: Lua runs a message handler where the error was raised; when that error is the sandbox's kill,
-- raised from the count hook, hooks are off there and a looping handler could never be stopped. This
-- xpcall calls the handler after the protected call has unwound, as ordinary (budgeted) code. Uses pcall.

local pcall, pack, unpack = pcall, table.pack, table.unpack

local M = {}

function M.xpcall(f, msgh, ...)
  if type(msgh) ~= "function" then
    error(("bad argument #2 to 'xpcall' (function expected, got %s)"):format(type(msgh)), 2)
  end
  local r = pack(pcall(f, ...))
  if r[1] then return unpack(r, 1, r.n) end
  return false, msgh(r[2])
end

return M
