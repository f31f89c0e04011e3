-- expect: runtime
-- match: pattern too complex
-- line: 4
local r = ("x"):rep(300):match(("x?"):rep(250) .. ("(x)"):rep(0) .. "%f[x]") or ("x"):rep(500):match(("(x"):rep(30)) --@
