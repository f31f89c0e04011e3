-- The library functions plans may use, each called with ordinary arguments.
local s = ("ab"):rep(10, ",")
local t = { s:byte(1, 4) }
local parts = {}
for w in s:gmatch("[^,]+") do parts[#parts + 1] = w:upper():reverse():lower() end
table.insert(parts, 1, "x") table.remove(parts) table.sort(parts)
local joined = table.concat(parts, ";", 1, #parts)
local packed = string.pack("i4z", 7, "nul") local a, b = string.unpack("i4z", packed)
local u = utf8.char(233, 8364) .. utf8.len("h\u{e9}") .. (utf8.codepoint("\u{e9}")) .. utf8.offset("abc", 2)
local n = tonumber("  0x1F ") + ("2" * 3) + select("#", table.unpack({ 1, 2, 3 }))
local f = load("return ...")
local mt = setmetatable({}, { __index = function(_, k) return k end, __len = function() return 3 end })
local g = string.format("%q %5.2f %s %d", "q", 1.5, mt.x, #mt) .. string.gsub("a-b", "%-", "+")
local ok, err = pcall(error, { code = 1 })
assert(f(n) == n and a == 7 and b == "nul" and not ok and math.floor(2.5) == 2)
return plan { name = "lib " .. #joined .. #u .. #g, waves = { wave "a" { servers = { "s-1234567890abcdef0" } } } }
