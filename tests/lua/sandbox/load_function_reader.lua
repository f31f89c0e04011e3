-- expect: runtime
-- match: only strings
-- line: 4
load(function() return "os.exit()" end) --@
