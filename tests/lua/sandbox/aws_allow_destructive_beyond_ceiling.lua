-- expect: not_permitted
-- match: aws_allow[2] 'ec2:TerminateInstances' is beyond
-- line: 6
-- Naming an operation outside the operator's ceiling refuses the plan at validation, naming the entry.
return plan { name = "t",
  aws_allow = { "ec2:DescribeInstances", "ec2:TerminateInstances", "ssm:SendCommand" },
  waves = { wave "w" { servers = group "g" } } }
