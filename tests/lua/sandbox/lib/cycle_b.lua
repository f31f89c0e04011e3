require "lib.cycle_a"
return {}
