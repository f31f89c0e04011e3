-- expect: runtime
-- match: undeclared global 'x'
-- line: 4
x = 1 --@
