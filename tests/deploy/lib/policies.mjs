// policies: finds every IAM policy document in a template (role policies, managed policies, key, bucket
// and topic policies) and reports least-privilege violations: wildcard actions ("*", "service:*" or any
// "*" in an action), NotAction in an Allow, AWS-managed policies (whose actions the template cannot
// show), and actions that support resource-level permissions granted on Resource "*".
import { walk } from './templates.mjs';

// Actions that can always be scoped to a resource: granting them on "*" is never necessary here.
const scopable = [/^dynamodb:/, /^s3:/, /^sns:Publish$/, /^lambda:/, /^kms:/, /^sqs:/, /^logs:PutLogEvents$/,
  /^logs:CreateLogStream$/, /^states:StartExecution$/, /^states:StopExecution$/, /^states:DescribeExecution$/,
  /^iam:PassRole$/, /^sts:AssumeRole$/, /^ssm:SendCommand$/, /^cloudfront:CreateInvalidation$/];

const list = (v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** [{where, statement}] for every statement of every policy document in the template. */
export function statements(template) {
  const out = [];
  walk(template.Resources || {}, (node, where) => {
    if (Array.isArray(node.Statement) && (node.Version || where.endsWith('Policy') || where.endsWith('Document')))
      node.Statement.forEach((s, i) => out.push({ where: `${where}.Statement[${i}]`, statement: s,
        keyPolicy: where.endsWith('KeyPolicy'), resourcePolicy: /Bucket|Topic|KeyPolicy/.test(where) }));
  });
  return out;
}

/** Human-readable violations (empty when the template is least-privilege as this project defines it). */
export function violations(template) {
  const bad = [];
  walk(template.Resources || {}, (node, where) => {
    if (node.ManagedPolicyArns) bad.push(`${where}: ManagedPolicyArns (write the actions inline so they can be checked)`);
  });
  for (const { where, statement, resourcePolicy } of statements(template)) {
    for (const a of [...list(statement.Action), ...list(statement.NotAction)]) {
      if (typeof a !== 'string') bad.push(`${where}: action ${JSON.stringify(a)} is not a literal`);
      else if (a.includes('*')) bad.push(`${where}: wildcard action '${a}'`);
    }
    if (statement.NotAction && statement.Effect === 'Allow') bad.push(`${where}: NotAction in an Allow grants everything else`);
    if (statement.Effect === 'Allow' && !resourcePolicy && list(statement.Resource).includes('*'))
      for (const a of list(statement.Action))
        if (typeof a === 'string' && scopable.some((re) => re.test(a)))
          bad.push(`${where}: '${a}' supports resource-level permissions but is granted on '*'`);
  }
  return bad;
}
