-- expect: runtime
-- match: yield across a C-call boundary
-- phase: hook
-- line: 6
return plan { name = "t", waves = { wave "w" { servers = group "g", after = function(w)
table.sort({ 3, 2, 1 }, function(a, b) w:sleep(1) return a < b end) --@
end } } }
