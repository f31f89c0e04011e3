-- expect: runtime
-- match: dotted identifiers
-- line: 4
require "../../../etc/passwd" --@
