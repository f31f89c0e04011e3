---@meta
-- LuaLS stubs for the json module (engine: lua-cjson behind size, depth and memory guards).

json = {}

--- JSON text for a value. Raises on values JSON cannot hold (functions, cycles, NaN, integers of more
--- than 14 digits) and past the JSON size or depth limits.
---@param value any
---@return string
function json.encode(value) end

--- The value of a JSON text; whole numbers come back as integers, null as json.null.
--- Returns nil, message, code ("EPARSE", "ELIMIT") for malformed or oversized text.
---@param text string
---@return any|nil value
---@return string? message
---@return string? code
function json.decode(text) end

--- Stands for JSON null inside decoded tables.
json.null = nil
