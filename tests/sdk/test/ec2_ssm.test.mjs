// EC2 and SSM through @aws-sdk/client-ec2 and @aws-sdk/client-ssm, around instances a drill launched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { DrsClient, DescribeSourceServersCommand, StartRecoveryCommand, DescribeRecoveryInstancesCommand } from '@aws-sdk/client-drs';
import {
  EC2Client, DescribeInstancesCommand, DescribeInstanceStatusCommand, DescribeSubnetsCommand, DescribeSecurityGroupsCommand,
  DescribeLaunchTemplateVersionsCommand, CreateLaunchTemplateVersionCommand, ModifyLaunchTemplateCommand, CreateTagsCommand,
  StopInstancesCommand, TerminateInstancesCommand, paginateDescribeInstances,
} from '@aws-sdk/client-ec2';
import {
  SSMClient, DescribeInstanceInformationCommand, SendCommandCommand, GetCommandInvocationCommand,
  ListCommandInvocationsCommand, StartAutomationExecutionCommand, GetAutomationExecutionCommand,
  InvalidInstanceId, InvocationDoesNotExist, AutomationExecutionNotFoundException,
} from '@aws-sdk/client-ssm';
import { GetLaunchConfigurationCommand } from '@aws-sdk/client-drs';
import { startSim, scenario, rejectsWith } from './sim.mjs';

let sim, drs, ec2, ssm, instances;

before(async () => {
  sim = await startSim(scenario('three-tier-demo.json'));
  drs = sim.client(DrsClient);
  ec2 = sim.client(EC2Client);
  ssm = sim.client(SSMClient);
  const servers = (await drs.send(new DescribeSourceServersCommand({}))).items.filter((s) => s.tags.Tier === 'web');
  await drs.send(new StartRecoveryCommand({ isDrill: true, sourceServers: servers.map((s) => ({ sourceServerID: s.sourceServerID })) }));
  await sim.advance('7m'); // launched, booting
  instances = (await drs.send(new DescribeRecoveryInstancesCommand({}))).items.map((i) => i.ec2InstanceID);
});
after(async () => { await sim.stop(); });

test('DescribeInstances with ids, filters and the paginator', async () => {
  assert.equal(instances.length, 12);
  const one = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [instances[0]] }));
  const i = one.Reservations[0].Instances[0];
  assert.equal(i.InstanceId, instances[0]);
  assert.equal(i.State.Name, 'running');
  assert.equal(i.State.Code, 16);
  assert.match(i.PrivateIpAddress, /^10\.20\.[123]\.\d+$/);
  assert.ok(i.LaunchTime instanceof Date);
  assert.ok(i.Tags.some((t) => t.Key === 'AWSElasticDisasterRecoverySourceServerID'));
  const byTag = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:Tier', Values: ['web'] }, { Name: 'instance-state-name', Values: ['running'] }] }));
  assert.equal(byTag.Reservations.length, 12);
  let n = 0;
  for await (const page of paginateDescribeInstances({ client: ec2, pageSize: 5 }, {})) n += page.Reservations.length;
  assert.equal(n, 12);
  const e = await rejectsWith(assert, ec2.send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })), null, 400);
  assert.equal(e.name, 'InvalidInstanceID.NotFound');
});

test('DescribeInstanceStatus: checks pass after boot', async () => {
  let st = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instances[0]] }));
  assert.equal(st.InstanceStatuses[0].InstanceState.Name, 'running');
  await sim.advance('3m');
  st = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: instances }));
  assert.ok(st.InstanceStatuses.every((s) => s.InstanceStatus.Status === 'ok' && s.SystemStatus.Status === 'ok'));
});

test('subnets, security groups, launch template versions', async () => {
  const sn = await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: ['vpc-0a1b2c3d4e5f60718'] }] }));
  assert.equal(sn.Subnets.length, 3);
  assert.equal(sn.Subnets[0].CidrBlock, '10.20.1.0/24');
  const sg = await ec2.send(new DescribeSecurityGroupsCommand({ GroupNames: ['orders-recovery'] }));
  assert.equal(sg.SecurityGroups[0].GroupId, 'sg-0a1b2c3d4e5f60001');
  const server = (await drs.send(new DescribeSourceServersCommand({ maxResults: 1 }))).items[0];
  const lc = await drs.send(new GetLaunchConfigurationCommand({ sourceServerID: server.sourceServerID }));
  const v = await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: lc.ec2LaunchTemplateID, Versions: ['$Default'] }));
  assert.equal(v.LaunchTemplateVersions[0].VersionNumber, 1);
  assert.equal(v.LaunchTemplateVersions[0].DefaultVersion, true);
  const c = await ec2.send(new CreateLaunchTemplateVersionCommand({
    LaunchTemplateId: lc.ec2LaunchTemplateID, SourceVersion: '1', LaunchTemplateData: { InstanceType: 'r5.2xlarge' },
  }));
  assert.equal(c.LaunchTemplateVersion.VersionNumber, 2);
  const m = await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: lc.ec2LaunchTemplateID, DefaultVersion: '2' }));
  assert.equal(m.LaunchTemplate.DefaultVersionNumber, 2);
  assert.equal(m.LaunchTemplate.LatestVersionNumber, 2);
});

test('CreateTags, StopInstances, TerminateInstances', async () => {
  await ec2.send(new CreateTagsCommand({ Resources: [instances[0]], Tags: [{ Key: 'checked', Value: 'yes' }] }));
  const t = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['checked'] }] }));
  assert.equal(t.Reservations.length, 1);
  const s = await ec2.send(new StopInstancesCommand({ InstanceIds: [instances[10]] }));
  assert.equal(s.StoppingInstances[0].CurrentState.Name, 'stopping');
  const x = await ec2.send(new TerminateInstancesCommand({ InstanceIds: [instances[11]] }));
  assert.equal(x.TerminatingInstances[0].CurrentState.Name, 'shutting-down');
  assert.equal(x.TerminatingInstances[0].PreviousState.Name, 'running');
});

test('SSM: managed instances, commands and their invocations', async () => {
  await sim.advance('3m');
  const info = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['Online'] }] }));
  const online = info.InstanceInformationList.map((i) => i.InstanceId);
  assert.ok(online.includes(instances[0]));
  assert.equal(info.InstanceInformationList[0].ResourceType, 'EC2Instance');
  await rejectsWith(assert, ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['i-0123456789abcdef0'] })),
    InvalidInstanceId, 400);
  const sent = await ssm.send(new SendCommandCommand({
    DocumentName: 'AWS-RunShellScript', InstanceIds: [instances[0]], Parameters: { commands: ['systemctl is-active nginx'] },
  }));
  const id = sent.Command.CommandId;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.ok(sent.Command.RequestedDateTime instanceof Date);
  await rejectsWith(assert, ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: instances[0] })), InvocationDoesNotExist, 400);
  await sim.advance('3s');
  let inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: instances[0] }));
  assert.ok(['Pending', 'InProgress'].includes(inv.Status), inv.Status);
  await sim.advance('1m');
  inv = await ssm.send(new GetCommandInvocationCommand({ CommandId: id, InstanceId: instances[0] }));
  assert.equal(inv.Status, 'Success');
  assert.equal(inv.StandardOutputContent, 'active\n');
  assert.equal(inv.ResponseCode, 0);
  const list = await ssm.send(new ListCommandInvocationsCommand({ CommandId: id, Details: true }));
  assert.equal(list.CommandInvocations.length, 1);
  assert.equal(list.CommandInvocations[0].CommandPlugins[0].Status, 'Success');
});

test('SSM automations', async () => {
  const a = await ssm.send(new StartAutomationExecutionCommand({ DocumentName: 'AWS-RestartEC2Instance', Parameters: { InstanceId: [instances[1]] } }));
  await sim.advance('5m');
  const g = await ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: a.AutomationExecutionId }));
  assert.equal(g.AutomationExecution.AutomationExecutionStatus, 'Success');
  await rejectsWith(assert, ssm.send(new GetAutomationExecutionCommand({ AutomationExecutionId: '00000000-0000-4000-8000-000000000000' })),
    AutomationExecutionNotFoundException, 400);
});
