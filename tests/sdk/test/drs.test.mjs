// Elastic Disaster Recovery through @aws-sdk/client-drs: every simulated operation, its response parsed
// by the SDK, and the errors as the SDK's own exception classes with their fields.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DrsClient, DescribeSourceServersCommand, StartRecoveryCommand, DescribeJobsCommand, DescribeJobLogItemsCommand,
  DescribeRecoveryInstancesCommand, TerminateRecoveryInstancesCommand, GetLaunchConfigurationCommand,
  UpdateLaunchConfigurationCommand, DescribeRecoverySnapshotsCommand, StartFailbackLaunchCommand,
  ReverseReplicationCommand, StopFailbackCommand, DisconnectRecoveryInstanceCommand, TagResourceCommand,
  ListTagsForResourceCommand, paginateDescribeSourceServers, ConflictException, ServiceQuotaExceededException,
  ResourceNotFoundException, ValidationException,
} from '@aws-sdk/client-drs';
import { startSim, scenario, rejectsWith } from './sim.mjs';

let sim, drs, servers;

before(async () => {
  sim = await startSim(scenario('three-tier-demo.json'));
  drs = sim.client(DrsClient);
  servers = [];
  for await (const page of paginateDescribeSourceServers({ client: drs, pageSize: 10 }, {})) servers.push(...page.items);
});
after(async () => { await sim.stop(); });

const byTier = (tier) => servers.filter((s) => s.tags.Tier === tier).map((s) => s.sourceServerID);

test('DescribeSourceServers: SDK paginator walks every page, shapes parse', () => {
  assert.equal(servers.length, 24);
  const s = servers[0];
  assert.match(s.sourceServerID, /^s-[0-9a-f]{17}$/);
  assert.match(s.arn, /^arn:aws:drs:us-east-1:111122223333:source-server\/s-[0-9a-f]{17}$/);
  assert.equal(s.dataReplicationInfo.dataReplicationState, 'CONTINUOUS');
  assert.equal(s.lastLaunchResult, 'NOT_STARTED');
  assert.equal(s.sourceProperties.identificationHints.hostname, 'orders-db-1');
  assert.equal(typeof s.sourceProperties.ramBytes, 'number');
});

test('DescribeSourceServers with a filter', async () => {
  const out = await drs.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: byTier('db').slice(0, 2) } }));
  assert.equal(out.items.length, 2);
});

test('a drill: StartRecovery, job timeline, log items, recovery instances, termination', async () => {
  const ids = byTier('db');
  const started = await drs.send(new StartRecoveryCommand({
    isDrill: true,
    sourceServers: ids.map((sourceServerID) => ({ sourceServerID })),
    tags: { 'drsorch:execution': 'sdk-1', 'drsorch:wave': 'database' },
  }));
  const job = started.job;
  assert.match(job.jobID, /^drsjob-[0-9a-f]{17}$/);
  assert.match(job.arn, /^arn:aws:drs:us-east-1:111122223333:job\/drsjob-/);
  assert.equal(job.status, 'PENDING');
  assert.equal(job.initiatedBy, 'START_DRILL');
  assert.deepEqual(job.tags, { 'drsorch:execution': 'sdk-1', 'drsorch:wave': 'database' });
  assert.equal(started.$metadata.httpStatusCode, 202);

  await rejectsWith(assert, drs.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: ids[0] }] })),
    ConflictException, 409);

  await sim.advance('20s');
  let jobs = await drs.send(new DescribeJobsCommand({ filters: { jobIDs: [job.jobID] } }));
  assert.equal(jobs.items[0].status, 'STARTED');
  assert.ok(jobs.items[0].participatingServers.every((p) => p.launchStatus === 'IN_PROGRESS'));

  await sim.advance('10m');
  jobs = await drs.send(new DescribeJobsCommand({ filters: { jobIDs: [job.jobID] } }));
  const done = jobs.items[0];
  assert.equal(done.status, 'COMPLETED');
  assert.ok(done.endDateTime);
  assert.ok(done.participatingServers.every((p) => p.launchStatus === 'LAUNCHED' && /^i-[0-9a-f]{17}$/.test(p.recoveryInstanceID)));

  const logs = await drs.send(new DescribeJobLogItemsCommand({ jobID: job.jobID }));
  const events = logs.items.map((i) => i.event);
  assert.equal(events[0], 'JOB_START');
  assert.equal(events.at(-1), 'JOB_END');
  for (const e of ['SNAPSHOT_START', 'SNAPSHOT_END', 'CONVERSION_START', 'CONVERSION_END', 'LAUNCH_START'])
    assert.equal(events.filter((x) => x === e).length, ids.length, e);

  const ri = await drs.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: ids } }));
  assert.equal(ri.items.length, ids.length);
  assert.ok(ri.items.every((i) => i.isDrill === true && i.jobID === job.jobID && i.ec2InstanceState === 'RUNNING'));

  const snaps = await drs.send(new DescribeRecoverySnapshotsCommand({ sourceServerID: ids[0], order: 'DESC', maxResults: 3 }));
  assert.equal(snaps.items.length, 3);
  assert.match(snaps.items[0].snapshotID, /^pit-[0-9a-f]{17}$/);
  assert.ok(snaps.nextToken);

  const term = await drs.send(new TerminateRecoveryInstancesCommand({ recoveryInstanceIDs: ri.items.map((i) => i.recoveryInstanceID) }));
  assert.equal(term.job.type, 'TERMINATE');
  await sim.advance('5m');
  const gone = await drs.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: ids } }));
  assert.equal(gone.items.length, 0);

  const calls = await sim.admin('GET', '/_sim/calls');
  const recs = calls.startRecovery.filter((r) => r.jobID);
  assert.equal(recs.length, 1);
  assert.deepEqual(recs[0].sourceServerIDs, ids);
  assert.equal(recs[0].tags['drsorch:wave'], 'database');
});

test('DescribeJobs: newest first, dates, pagination', async () => {
  const all = await drs.send(new DescribeJobsCommand({}));
  assert.ok(all.items.length >= 2);
  assert.ok(all.items[0].creationDateTime >= all.items[1].creationDateTime);
  const page = await drs.send(new DescribeJobsCommand({ maxResults: 1 }));
  assert.equal(page.items.length, 1);
  const next = await drs.send(new DescribeJobsCommand({ maxResults: 1, nextToken: page.nextToken }));
  assert.notEqual(next.items[0].jobID, page.items[0].jobID);
  const future = await drs.send(new DescribeJobsCommand({ filters: { fromDate: '2099-01-01T00:00:00Z' } }));
  assert.equal(future.items.length, 0);
});

test('an unknown source server is a ValidationException', async () => {
  const e = await rejectsWith(assert, drs.send(new StartRecoveryCommand({ sourceServers: [{ sourceServerID: 's-0123456789abcdef0' }] })),
    ValidationException, 400);
  assert.match(e.message, /does not exist/);
});

test('launch configuration', async () => {
  const id = byTier('web')[0];
  const lc = await drs.send(new GetLaunchConfigurationCommand({ sourceServerID: id }));
  assert.equal(lc.sourceServerID, id);
  assert.match(lc.ec2LaunchTemplateID, /^lt-[0-9a-f]{17}$/);
  const up = await drs.send(new UpdateLaunchConfigurationCommand({ sourceServerID: id, copyPrivateIp: true, launchDisposition: 'STOPPED' }));
  assert.equal(up.copyPrivateIp, true);
  assert.equal(up.launchDisposition, 'STOPPED');
  const e = await rejectsWith(assert, drs.send(new GetLaunchConfigurationCommand({ sourceServerID: 's-0123456789abcdef0' })),
    ResourceNotFoundException, 404);
  assert.equal(e.resourceId, 's-0123456789abcdef0');
});

test('tags on source servers', async () => {
  const s = servers[0];
  await drs.send(new TagResourceCommand({ resourceArn: s.arn, tags: { Owner: 'dr-team' } }));
  const t = await drs.send(new ListTagsForResourceCommand({ resourceArn: s.arn }));
  assert.equal(t.tags.Owner, 'dr-team');
  assert.equal(t.tags.Tier, 'db');
  await rejectsWith(assert, drs.send(new ListTagsForResourceCommand({
    resourceArn: 'arn:aws:drs:us-east-1:111122223333:job/drsjob-0123456789abcdef0',
  })), ResourceNotFoundException, 404);
});

test('recovery, failback and disconnect', async () => {
  const ids = byTier('app').slice(0, 2);
  await drs.send(new StartRecoveryCommand({ isDrill: false, sourceServers: ids.map((sourceServerID) => ({ sourceServerID })) }));
  await sim.advance('15m');
  const ri = await drs.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: ids } }));
  assert.equal(ri.items.length, 2);
  const [a, b] = ri.items.map((i) => i.recoveryInstanceID);
  assert.equal(ri.items[0].isDrill, false);
  const rr = await drs.send(new ReverseReplicationCommand({ recoveryInstanceID: a }));
  assert.match(rr.reversedDirectionSourceServerArn, /source-server\/s-/);
  const fb = await drs.send(new StartFailbackLaunchCommand({ recoveryInstanceIDs: [a], tags: { why: 'test' } }));
  assert.equal(fb.job.initiatedBy, 'FAILBACK');
  await rejectsWith(assert, drs.send(new DisconnectRecoveryInstanceCommand({ recoveryInstanceID: a })), ConflictException, 409);
  await sim.advance('15m');
  const after1 = await drs.send(new DescribeRecoveryInstancesCommand({ filters: { recoveryInstanceIDs: [a] } }));
  assert.equal(after1.items[0].failback.state, 'FAILBACK_COMPLETED');
  await drs.send(new StopFailbackCommand({ recoveryInstanceID: a }));
  await drs.send(new DisconnectRecoveryInstanceCommand({ recoveryInstanceID: b }));
  const left = await drs.send(new DescribeRecoveryInstancesCommand({ filters: { sourceServerIDs: ids } }));
  assert.deepEqual(left.items.map((i) => i.recoveryInstanceID), [a]);
});

test('quotas and conflicts surface as the SDK exceptions with their fields', async () => {
  const file = path.join(os.tmpdir(), `sim-quota-${process.pid}.json`);
  fs.writeFileSync(file, JSON.stringify({
    regions: [{ region: 'us-east-1', server_groups: [{ count: 8, hostname: 'q{n}' }] }],
    quotas: { servers_per_job: 2, concurrent_jobs: 2, servers_in_active_jobs: 3 },
  }));
  const tight = await startSim(file);
  try {
    const c = tight.client(DrsClient);
    const ids = (await c.send(new DescribeSourceServersCommand({}))).items.map((s) => ({ sourceServerID: s.sourceServerID }));
    let e = await rejectsWith(assert, c.send(new StartRecoveryCommand({ sourceServers: ids.slice(0, 3) })), ServiceQuotaExceededException, 402);
    assert.equal(e.quotaCode, 'L-B827C881');
    assert.equal(e.serviceCode, 'drs');
    await c.send(new StartRecoveryCommand({ sourceServers: ids.slice(0, 2) }));
    e = await rejectsWith(assert, c.send(new StartRecoveryCommand({ sourceServers: ids.slice(1, 2) })), ConflictException, 409);
    assert.equal(e.resourceId, ids[1].sourceServerID);
    e = await rejectsWith(assert, c.send(new StartRecoveryCommand({ sourceServers: ids.slice(2, 4) })), ServiceQuotaExceededException, 402);
    assert.equal(e.quotaCode, 'L-05AFA8C6');
    await c.send(new StartRecoveryCommand({ sourceServers: ids.slice(2, 3) }));
    e = await rejectsWith(assert, c.send(new StartRecoveryCommand({ sourceServers: ids.slice(3, 4) })), ServiceQuotaExceededException, 402);
    assert.equal(e.quotaCode, 'L-D88FAC3A');
  } finally {
    await tight.stop();
    fs.unlinkSync(file);
  }
});
