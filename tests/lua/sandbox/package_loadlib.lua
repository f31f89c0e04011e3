-- expect: runtime
-- match: undefined global 'package'
-- line: 4
package.loadlib("libc.so.6", "system") --@
