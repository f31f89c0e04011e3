-- expect: runtime
-- line: 5
-- An error message of megabytes is cut to the report's size, not copied around whole.
local big = ("m"):rep(1024):rep(4096)
error(big) --@
