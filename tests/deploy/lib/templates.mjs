// templates: reads the CloudFormation templates in cfn/ into plain objects, turning the short-form tags
// (!Ref, !Sub, !GetAtt, ...) into their JSON forms ({"Ref": ...}, {"Fn::Sub": ...}), and walks them.
// Used by every test of the deployment. Uses the `yaml` package.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

export const repoRoot = process.env.ORCH_SOURCE_DIR ||
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const cfnDir = path.join(repoRoot, 'cfn');

const fnTag = (tag, name, kind) => ({
  tag: `!${tag}`,
  collection: kind === 'seq' ? 'seq' : undefined,
  resolve: (value) => {
    if (name === 'Fn::GetAtt' && typeof value === 'string') {
      const dot = value.indexOf('.');
      return { [name]: [value.slice(0, dot), value.slice(dot + 1)] };
    }
    return { [name]: value && typeof value.toJSON === 'function' ? value.toJSON() : value };
  },
});

const functions = {
  Ref: 'Ref', Sub: 'Fn::Sub', GetAtt: 'Fn::GetAtt', Join: 'Fn::Join', Select: 'Fn::Select',
  Split: 'Fn::Split', If: 'Fn::If', Equals: 'Fn::Equals', Not: 'Fn::Not', And: 'Fn::And', Or: 'Fn::Or',
  FindInMap: 'Fn::FindInMap', ImportValue: 'Fn::ImportValue', Base64: 'Fn::Base64', GetAZs: 'Fn::GetAZs',
  Cidr: 'Fn::Cidr', Condition: 'Condition',
};
const customTags = [];
for (const [tag, name] of Object.entries(functions)) {
  customTags.push(fnTag(tag, name, 'scalar'));
  customTags.push({ ...fnTag(tag, name, 'seq'), collection: 'seq' });
  customTags.push({ ...fnTag(tag, name, 'map'), collection: 'map' });
}

/** Every template file in cfn/ (sorted). */
export function templateFiles() {
  return fs.readdirSync(cfnDir).filter((f) => f.endsWith('.yaml')).sort().map((f) => path.join(cfnDir, f));
}

/** One template as a plain object; throws with the file name on a YAML error or warning. */
export function loadTemplate(file) {
  const doc = YAML.parseDocument(fs.readFileSync(file, 'utf8'), { customTags, uniqueKeys: true });
  const problems = [...doc.errors, ...doc.warnings];
  if (problems.length) throw new Error(`${path.basename(file)}: ${problems.map((e) => e.message).join('; ')}`);
  return doc.toJS({ maxAliasCount: -1 });
}

/** Call visit(node, pathString) for every object and array in `value`, depth first. */
export function walk(value, visit, where = '') {
  if (value && typeof value === 'object') {
    visit(value, where);
    for (const [k, v] of Object.entries(value)) walk(v, visit, where ? `${where}.${k}` : k);
  }
}

/** The state machine definition of statemachine-stack.yaml as an object, with its ${...} references
 *  replaced by `values` (name -> string; missing names get a placeholder ARN). */
export function stateMachineDefinition(values = {}) {
  const t = loadTemplate(path.join(cfnDir, 'statemachine-stack.yaml'));
  const sub = t.Resources.OrchestrationStateMachine.Properties.DefinitionString['Fn::Sub'];
  const text = sub.replace(/\$\{([A-Za-z0-9:]+)\}/g, (_, name) => {
    if (name in values) return values[name];
    if (name === 'AWS::Partition') return 'aws';
    return `arn:aws:lambda:us-east-1:111122223333:function:${name}`;
  });
  return JSON.parse(text);
}
