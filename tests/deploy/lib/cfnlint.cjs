// cfnlint: the npm cfn-lint validator, extended with CloudFormation's resource specification from
// @aws-cdk/cfnspec (cfn-lint's own copy predates WAFv2, origin access control and others), and with
// one upstream bug corrected while loading: its Fn::Sub substitutes `X` for `X` inside `${X}`, leaving
// `${value}`, so every ARN built with !Sub looked malformed.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');

const validatorPath = require.resolve('cfn-lint/lib/validator');
const buggy = 'replacementStr = replacementStr.replace(placeholder, placeholderValue);';
const fixed = "replacementStr = replacementStr.split('${' + placeholder + '}').join(placeholderValue);";
const source = fs.readFileSync(validatorPath, 'utf8');
if (source.split(buggy).length !== 2) throw new Error(`cfn-lint changed: '${buggy}' not found once in ${validatorPath}`);
const m = new Module(validatorPath, module);
m.filename = validatorPath;
m.paths = Module._nodeModulePaths(path.dirname(validatorPath));
m._compile(source.replace(buggy, fixed), validatorPath);
m.loaded = true;
require.cache[validatorPath] = m;

const spec = require('@aws-cdk/cfnspec').specification();
require('cfn-lint/lib/resourcesSpec').extendSpecification({
  ResourceTypes: spec.ResourceTypes,
  PropertyTypes: spec.PropertyTypes,
});
const api = require('cfn-lint/lib/api');

/** Validate a template file with parameter values; returns cfn-lint's result object. */
exports.lint = (file, parameters) => {
  m.exports.resetValidator();
  return api.validateFile(file, { parameters, pseudoParameters: {} });
};
exports.specificationVersion = spec.ResourceSpecificationVersion;
