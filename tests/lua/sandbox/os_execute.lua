-- expect: runtime
-- match: undefined global 'os'
-- line: 4
os.execute("id") --@
