// How the deployed stack signs people in, as the templates wire it: the API function maps every group the
// API stack creates to a role drsorch knows (roles come from the authorizer's cognito:groups claim); every
// method behind the Cognito authorizer asks for a scope the console's app client is allowed, so the
// console's access token passes (without a scope the authorizer takes only ID tokens); the client uses the
// code flow without a secret and returns to the path the console's callback page is at; the Hosted UI domain
// the API stack creates is the one the console is given.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cfnDir, loadTemplate, repoRoot } from '../lib/templates.mjs';

const api = loadTemplate(path.join(cfnDir, 'api-stack.yaml'));
const lambda = loadTemplate(path.join(cfnDir, 'lambda-stack.yaml'));
const frontend = loadTemplate(path.join(cfnDir, 'frontend-stack.yaml'));
const master = loadTemplate(path.join(cfnDir, 'master-template.yaml'));
const of = (tpl, type) => Object.entries(tpl.Resources).filter(([, r]) => r.Type === type);

test('every Cognito group the API stack creates is a role of the API function', () => {
  const groups = of(api, 'AWS::Cognito::UserPoolGroup').map(([, r]) => r.Properties.GroupName).sort();
  assert.deepEqual(groups, ['Admin', 'Approver', 'Operator', 'PlanAuthor', 'Viewer']);
  const spec = lambda.Resources.ApiHandlerFunction.Properties.Environment.Variables.DRSORCH_AUTH_COGNITO_GROUPS;
  assert.equal(typeof spec, 'string', 'DRSORCH_AUTH_COGNITO_GROUPS is a literal (the pool is made after the function)');
  const mapped = Object.fromEntries(spec.split(',').map((p) => p.split('=')));
  assert.deepEqual(Object.keys(mapped).sort(), groups);
  for (const g of groups) assert.equal(mapped[g], g, `group ${g} is the role ${g}`);
});

test("the authorizer takes the console's access token", () => {
  const client = frontend.Resources.ConsoleClient.Properties;
  const methods = of(api, 'AWS::ApiGateway::Method').filter(([, r]) => r.Properties.AuthorizationType === 'COGNITO_USER_POOLS');
  assert.ok(methods.length >= 1);
  for (const [name, m] of methods) {
    const scopes = m.Properties.AuthorizationScopes || [];
    assert.ok(scopes.length, `${name} has AuthorizationScopes (else only ID tokens pass)`);
    assert.ok(scopes.some((s) => client.AllowedOAuthScopes.includes(s)), `${name}: a scope the console's client may ask for`);
  }
  assert.deepEqual(client.AllowedOAuthFlows, ['code']);
  assert.equal(client.AllowedOAuthFlowsUserPoolClient, true);
  assert.equal(client.GenerateSecret, false, 'a browser keeps no secret');
  assert.deepEqual(client.SupportedIdentityProviders, ['COGNITO']);
  // the scopes the console asks for are the client's
  const scopes = frontend.Resources.ConsoleDeployment.Properties.Scopes.split(' ');
  for (const s of scopes) assert.ok(client.AllowedOAuthScopes.includes(s), s);
});

test("the client returns to the console's callback page on the distribution", () => {
  const client = frontend.Resources.ConsoleClient.Properties;
  const pkce = fs.readFileSync(path.join(repoRoot, 'web', 'src', 'auth', 'pkce.ts'), 'utf8');
  const callback = /\$\{window\.location\.origin\}(\/[\w/-]+)/.exec(pkce);
  assert.ok(callback, 'pkce.ts builds its redirect URI from the origin');
  assert.deepEqual(client.CallbackURLs, [{ 'Fn::Sub': `https://\${Distribution.DomainName}${callback[1]}` }]);
  const app = fs.readFileSync(path.join(repoRoot, 'web', 'src', 'App.tsx'), 'utf8');
  assert.ok(app.includes(`"${callback[1]}"`), `the console routes ${callback[1]}`);
});

test('the console is given the Hosted UI the API stack creates, and the client made for it', () => {
  const domain = api.Resources.UserPoolDomain.Properties.Domain['Fn::Sub'];
  assert.match(domain, /\$\{ProjectName\}-\$\{AWS::AccountId\}/, 'a prefix fixed by project and account');
  assert.match(api.Outputs.CognitoDomain.Value['Fn::Sub'], /^https:\/\/\$\{UserPoolDomain\}\.auth\.\$\{AWS::Region\}\.amazoncognito\.com$/);
  const params = master.Resources.FrontendStack.Properties.Parameters;
  assert.deepEqual(params.CognitoDomain, { 'Fn::GetAtt': ['ApiStack', 'Outputs.CognitoDomain'] });
  const deployment = frontend.Resources.ConsoleDeployment.Properties;
  assert.deepEqual(deployment.CognitoDomain, { Ref: 'CognitoDomain' });
  assert.deepEqual(deployment.UserPoolClientId, { Ref: 'ConsoleClient' });
  assert.deepEqual(frontend.Resources.ConsoleClient.Properties.UserPoolId, { Ref: 'UserPoolId' });
});
