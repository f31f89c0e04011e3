// SSM documents through @aws-sdk/client-ssm: DescribeDocument for the AWS-owned documents and the one the
// demo scenario declares (Acme-HealthCheck), InvalidDocument for an unknown name, and SendCommand running
// the scenario's document like AWS-RunShellScript.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DrsClient, DescribeSourceServersCommand, StartRecoveryCommand, DescribeRecoveryInstancesCommand } from '@aws-sdk/client-drs';
import {
  SSMClient, DescribeDocumentCommand, SendCommandCommand, GetCommandInvocationCommand,
  InvalidDocument, InvalidDocumentVersion,
} from '@aws-sdk/client-ssm';
import { startSim, scenario, rejectsWith } from './sim.mjs';

let sim, ssm;

before(async () => {
  sim = await startSim(scenario('three-tier-demo.json'));
  ssm = sim.client(SSMClient);
});
after(async () => { await sim.stop(); });

test('DescribeDocument: an AWS-owned document', async () => {
  const { Document: d } = await ssm.send(new DescribeDocumentCommand({ Name: 'AWS-RunShellScript' }));
  assert.equal(d.Name, 'AWS-RunShellScript');
  assert.equal(d.DocumentType, 'Command');
  assert.equal(d.DocumentFormat, 'JSON');
  assert.equal(d.Status, 'Active');
  assert.equal(d.Owner, 'Amazon');
  assert.equal(d.SchemaVersion, '1.2');
  assert.deepEqual(d.PlatformTypes, ['Linux', 'MacOS']);
  assert.equal(d.DocumentVersion, '1');
  assert.equal(d.LatestVersion, '1');
  assert.equal(d.DefaultVersion, '1');
  assert.equal(d.HashType, 'Sha256');
  assert.match(d.Hash, /^[0-9a-f]{64}$/);
  assert.ok(d.CreatedDate instanceof Date);
  assert.deepEqual(d.Parameters.map((p) => p.Name), ['commands', 'workingDirectory', 'executionTimeout']);
  const ps = await ssm.send(new DescribeDocumentCommand({ Name: 'AWS-RunPowerShellScript', DocumentVersion: '$DEFAULT' }));
  assert.deepEqual(ps.Document.PlatformTypes, ['Windows']);
  const auto = await ssm.send(new DescribeDocumentCommand({ Name: 'AWS-RestartEC2Instance' }));
  assert.equal(auto.Document.DocumentType, 'Automation');
  assert.equal(auto.Document.TargetType, '/AWS::EC2::Instance');
});

test('DescribeDocument: the scenario\'s document, by name and by ARN', async () => {
  const { Document: d } = await ssm.send(new DescribeDocumentCommand({ Name: 'Acme-HealthCheck' }));
  assert.equal(d.Name, 'Acme-HealthCheck');
  assert.equal(d.DocumentType, 'Command');
  assert.equal(d.Status, 'Active');
  assert.equal(d.Owner, '111122223333');
  assert.equal(d.SchemaVersion, '2.2');
  assert.deepEqual(d.PlatformTypes, ['Linux', 'MacOS']);
  assert.ok(d.CreatedDate instanceof Date);
  const byArn = await ssm.send(new DescribeDocumentCommand({ Name: 'arn:aws:ssm:us-east-1:111122223333:document/Acme-HealthCheck' }));
  assert.equal(byArn.Document.Hash, d.Hash);
});

test('DescribeDocument: an unknown name is InvalidDocument, an unknown version InvalidDocumentVersion', async () => {
  const e = await rejectsWith(assert, ssm.send(new DescribeDocumentCommand({ Name: 'Acme-Missing' })), InvalidDocument, 400);
  assert.equal(e.name, 'InvalidDocument');
  assert.equal(e.message, 'No matching value was found for Name.');
  await rejectsWith(assert, ssm.send(new DescribeDocumentCommand({ Name: 'Acme-HealthCheck', DocumentVersion: '7' })),
    InvalidDocumentVersion, 400);
  // the scenario's documents belong to its region; AWS's are in every region
  const west = sim.client(SSMClient, { region: 'us-west-2' });
  await rejectsWith(assert, west.send(new DescribeDocumentCommand({ Name: 'Acme-HealthCheck' })), InvalidDocument, 400);
  assert.equal((await west.send(new DescribeDocumentCommand({ Name: 'AWS-RunShellScript' }))).Document.Status, 'Active');
});

test('SendCommand runs the scenario\'s document; an unknown document is InvalidDocument', async () => {
  const drs = sim.client(DrsClient);
  const db = (await drs.send(new DescribeSourceServersCommand({}))).items.find((s) => s.tags.Tier === 'db');
  await drs.send(new StartRecoveryCommand({ isDrill: true, sourceServers: [{ sourceServerID: db.sourceServerID }] }));
  await sim.advance('10m'); // launched, booted, managed
  const ri = (await drs.send(new DescribeRecoveryInstancesCommand({}))).items.find((i) => i.sourceServerID === db.sourceServerID);
  const instance = ri.ec2InstanceID;
  await rejectsWith(assert, ssm.send(new SendCommandCommand({ DocumentName: 'Acme-Missing', InstanceIds: [instance] })),
    InvalidDocument, 400);
  const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'Acme-HealthCheck', InstanceIds: [instance] }));
  assert.equal(sent.Command.DocumentName, 'Acme-HealthCheck');
  await sim.advance('1m');
  const inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: sent.Command.CommandId, InstanceId: instance }));
  assert.equal(inv.Status, 'Success');
  assert.equal(inv.DocumentName, 'Acme-HealthCheck');
  assert.equal(inv.PluginName, 'aws:runShellScript');
  assert.equal(inv.ResponseCode, 0);
});
