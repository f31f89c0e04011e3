// STS, SNS, Service Quotas, SigV4 rejections and throttling through the official clients.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { STSClient, GetCallerIdentityCommand, AssumeRoleCommand } from '@aws-sdk/client-sts';
import { SNSClient, PublishCommand, NotFoundException } from '@aws-sdk/client-sns';
import {
  ServiceQuotasClient, GetServiceQuotaCommand, ListServiceQuotasCommand, NoSuchResourceException,
} from '@aws-sdk/client-service-quotas';
import { DrsClient, DescribeJobsCommand, DescribeSourceServersCommand, ThrottlingException } from '@aws-sdk/client-drs';
import { EC2Client, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { SSMClient, DescribeInstanceInformationCommand } from '@aws-sdk/client-ssm';
import { startSim, scenario, rejectsWith, DEFAULT_CREDS } from './sim.mjs';

let sim, large;
const PROD = { accessKeyId: 'AKIASIMPRODEXAMPLE01', secretAccessKey: 'sim/prod/secret/EXAMPLEKEY0000000001' };

before(async () => {
  sim = await startSim(scenario('three-tier-demo.json'));
  large = await startSim(scenario('large-1000.json'));
});
after(async () => { await sim.stop(); await large.stop(); });

test('STS GetCallerIdentity with the default credentials', async () => {
  const id = await sim.client(STSClient).send(new GetCallerIdentityCommand({}));
  assert.equal(id.Account, '111122223333');
  assert.match(id.Arn, /^arn:aws:iam::111122223333:user\//);
});

test('STS AssumeRole into another account; the temporary keys work there', async () => {
  const sts = large.client(STSClient, { credentials: PROD });
  const r = await sts.send(new AssumeRoleCommand({
    RoleArn: 'arn:aws:iam::444455556666:role/DRSOrchestratorRole', RoleSessionName: 'drsorch', ExternalId: 'drsorch-sim',
  }));
  assert.match(r.Credentials.AccessKeyId, /^ASIA/);
  assert.ok(r.Credentials.Expiration instanceof Date);
  assert.equal(r.AssumedRoleUser.Arn, 'arn:aws:sts::444455556666:assumed-role/DRSOrchestratorRole/drsorch');
  const creds = { accessKeyId: r.Credentials.AccessKeyId, secretAccessKey: r.Credentials.SecretAccessKey, sessionToken: r.Credentials.SessionToken };
  const who = await large.client(STSClient, { credentials: creds }).send(new GetCallerIdentityCommand({}));
  assert.equal(who.Account, '444455556666');
  const west = await large.client(DrsClient, { credentials: creds, region: 'us-west-2' }).send(new DescribeSourceServersCommand({ maxResults: 1000 }));
  assert.equal(west.items.length, 250);
  assert.match(west.items[0].arn, /^arn:aws:drs:us-west-2:444455556666:/);
  const e = await rejectsWith(assert, sts.send(new AssumeRoleCommand({
    RoleArn: 'arn:aws:iam::444455556666:role/DRSOrchestratorRole', RoleSessionName: 'drsorch', ExternalId: 'wrong',
  })), null, 403);
  assert.equal(e.name, 'AccessDenied');
});

test('SNS Publish is captured for inspection', async () => {
  const sns = sim.client(SNSClient);
  const out = await sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:111122223333:dr-events', Subject: 'drill', Message: 'wave database done' }));
  assert.match(out.MessageId, /^[0-9a-f-]{36}$/);
  await rejectsWith(assert, sns.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:111122223333:nope', Message: 'x' })), NotFoundException, 404);
  const kept = await sim.admin('GET', '/_sim/sns');
  assert.equal(kept.messages.length, 1);
  assert.equal(kept.messages[0].Message, 'wave database done');
  assert.equal(kept.messages[0].Subject, 'drill');
});

test('Service Quotas for the DRS quota codes', async () => {
  const sq = sim.client(ServiceQuotasClient);
  const list = await sq.send(new ListServiceQuotasCommand({ ServiceCode: 'drs' }));
  // AWS's own codes and names for service code drs, with AWS's defaults.
  const byCode = Object.fromEntries(list.Quotas.map((q) => [q.QuotaCode, [q.QuotaName, q.Value]]));
  assert.deepEqual(byCode, {
    'L-B827C881': ['Max source servers in a single Job', 100],
    'L-D88FAC3A': ['Concurrent jobs in progress', 20],
    'L-05AFA8C6': ['Max source servers in all Jobs', 500],
    'L-C1D14A2B': ['Max Total replicating source servers Per AWS Account', 300],
    'L-E28BE5E0': ['Max Total source servers Per AWS Account', 4000],
    'L-DD6D028C': ['Max concurrent Jobs per source server', 1],
  });
  const q = await sq.send(new GetServiceQuotaCommand({ ServiceCode: 'drs', QuotaCode: 'L-B827C881' }));
  assert.equal(q.Quota.Value, 100);
  assert.equal(q.Quota.QuotaName, 'Max source servers in a single Job');
  assert.equal(q.Quota.ServiceCode, 'drs');
  await rejectsWith(assert, sq.send(new GetServiceQuotaCommand({ ServiceCode: 'drs', QuotaCode: 'L-00000000' })), NoSuchResourceException, 400);
});

test('a wrong secret is rejected, in each protocol', async () => {
  const bad = { ...DEFAULT_CREDS, secretAccessKey: 'wrong' };
  let e = await rejectsWith(assert, sim.client(DrsClient, { credentials: bad }).send(new DescribeJobsCommand({})), null, 403);
  assert.equal(e.name, 'InvalidSignatureException');
  e = await rejectsWith(assert, sim.client(SSMClient, { credentials: bad }).send(new DescribeInstanceInformationCommand({})), null, 403);
  assert.equal(e.name, 'InvalidSignatureException');
  e = await rejectsWith(assert, sim.client(STSClient, { credentials: bad }).send(new GetCallerIdentityCommand({})), null, 403);
  assert.equal(e.name, 'SignatureDoesNotMatch');
  e = await rejectsWith(assert, sim.client(EC2Client, { credentials: bad }).send(new DescribeInstancesCommand({})), null, 403);
  assert.equal(e.name, 'SignatureDoesNotMatch');
});

test('an unknown access key is rejected', async () => {
  const unknown = { accessKeyId: 'AKIAUNKNOWNEXAMPLE00', secretAccessKey: 'x' };
  let e = await rejectsWith(assert, sim.client(DrsClient, { credentials: unknown }).send(new DescribeJobsCommand({})), null, 403);
  assert.equal(e.name, 'UnrecognizedClientException');
  e = await rejectsWith(assert, sim.client(STSClient, { credentials: unknown }).send(new GetCallerIdentityCommand({})), null, 403);
  assert.equal(e.name, 'InvalidClientTokenId');
  e = await rejectsWith(assert, sim.client(EC2Client, { credentials: unknown }).send(new DescribeInstancesCommand({})), null, 401);
  assert.equal(e.name, 'AuthFailure');
});

test('a request signed 20 minutes ago is rejected', async () => {
  const skewed = sim.client(DrsClient, { extra: { systemClockOffset: -20 * 60 * 1000 } });
  const e = await rejectsWith(assert, skewed.send(new DescribeJobsCommand({})), null, 403);
  assert.equal(e.name, 'InvalidSignatureException');
  assert.match(e.message, /Signature expired/);
});

test('throttling surfaces as ThrottlingException; the SDK retries it', async () => {
  await sim.admin('PUT', '/_sim/faults', { throttling: { 'drs:DescribeJobs': 1 } });
  const e = await rejectsWith(assert, sim.client(DrsClient).send(new DescribeJobsCommand({})), ThrottlingException, 429);
  assert.equal(e.serviceCode, 'drs');
  assert.equal(e.retryAfterSeconds, '1');
  await sim.admin('PUT', '/_sim/faults', { throttling: { 'drs:DescribeJobs': 0.5 } });
  const retrying = sim.client(DrsClient, { maxAttempts: 10, extra: { retryMode: 'standard' } });
  for (let i = 0; i < 5; i++) await retrying.send(new DescribeJobsCommand({}));
  await sim.admin('PUT', '/_sim/faults', { throttling: { 'drs:DescribeJobs': 0 } });
  const calls = await sim.admin('GET', '/_sim/calls');
  assert.ok(calls.operations['drs:DescribeJobs'].throttled >= 1);
});
