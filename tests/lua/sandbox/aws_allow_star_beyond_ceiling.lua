-- expect: not_permitted
-- match: aws_allow[1] '*' is beyond
-- line: 5
-- aws_allow = { "*" } asked for every operation the engine's credentials allow: the default ceiling refuses it.
return plan { name = "t", aws_allow = { "*" }, waves = { wave "w" { servers = group "g" } } }
