require "lib.cycle_b"
return {}
