-- expect: limit
-- match: instruction limit
-- line: 4
table.move({}, 1, 1e14, 2) --@
