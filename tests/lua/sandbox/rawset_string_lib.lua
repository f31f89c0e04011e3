-- expect: runtime
-- match: read-only
-- line: 6
-- rawset bypasses __newindex: on the shared string table it would replace string.format for the
-- engine's own Lua (the validator formats its messages with it) later in the same state.
rawset(string, "format", function() return "forged" end) --@
