/* orch_sim_drs_instances: Elastic Disaster Recovery handlers for what jobs leave behind: recovery instances
 * (listing, termination), launch configuration, recovery snapshots, failback, tags. Uses orch_sim_drs_int
 * (the job and error helpers of orch_sim_drs.c), orch_sim_ops, orch_sim_world, jansson. */
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_time.h"
#include "sim/orch_sim_drs_int.h"

static const char *ec2_state_upper(enum orch_sim_ec2_state s) {
  static const char *const names[] = {"NOT_FOUND", "PENDING", "RUNNING", "STOPPING", "STOPPED", "SHUTTING-DOWN",
                                      "TERMINATED"};
  return names[s];
}

static const char *failback_state(const struct orch_sim_call *c, const struct orch_sim_instance *in) {
  if (in->failback_job[0]) {
    int ji = orch_sim_idx_get(c->env->job_idx, in->failback_job);
    if (ji >= 0) return orch_sim_job_active(ORCH_SIM_JOB(c->env, ji), c->now) ? "FAILBACK_IN_PROGRESS"
                                                                                : "FAILBACK_COMPLETED";
  }
  return in->failback_state[0] ? in->failback_state : "FAILBACK_NOT_STARTED";
}

static json_t *recovery_instance_json(const struct orch_sim_call *c, const struct orch_sim_instance *in) {
  const struct orch_sim_server *s = ORCH_SIM_SERVER(c->env, in->server);
  const struct orch_sim_job *j = ORCH_SIM_JOB(c->env, in->job);
  json_t *out = json_pack(
      "{s:s, s:s, s:s, s:s, s:s, s:s, s:O, s:b, s:o, s:s, s:s, s:{s:o, s:{s:s, s:s, s:s}, s:[{s:s, s:[s], s:b}],"
      " s:[{s:s, s:I, s:s}], s:[{s:I, s:s}], s:I, s:{s:s}}, s:{s:s}}",
      "recoveryInstanceID", in->id, "ec2InstanceID", in->id, "ec2InstanceState",
      ec2_state_upper(orch_sim_instance_state(in, c->now)), "jobID", j->id, "sourceServerID", s->id, "arn", in->arn,
      "tags", in->rtags, "isDrill", in->drill, "pointInTimeSnapshotDateTime", orch_sim_time_json(in->pit_ms),
      "originEnvironment", "ON_PREMISES", "originAvailabilityZone", c->env->subnets[in->subnet].az,
      "recoveryInstanceProperties", "lastUpdatedDateTime", orch_sim_time_json(in->t_created), "identificationHints",
      "fqdn", s->fqdn, "hostname", s->hostname, "awsInstanceID", in->id, "networkInterfaces", "macAddress",
      "06:00:00:00:00:01", "ips", in->ip, "isPrimary", 1, "disks", "internalDeviceName",
      s->windows ? "Disk0" : "/dev/xvda", "bytes", (json_int_t)s->disk_bytes, "ebsVolumeID", "vol-0123456789abcdef0",
      "cpus", "cores", (json_int_t)s->cpus, "modelName", "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz",
      "ramBytes", (json_int_t)s->ram_bytes, "os", "fullString", s->os, "failback", "state", failback_state(c, in));
  if (out && in->failback_job[0]) {
    json_t *fb = json_object_get(out, "failback");
    json_object_set_new(fb, "failbackJobID", json_string(in->failback_job));
    json_object_set_new(fb, "failbackInitiationTime", orch_sim_time_json(in->failback_ms));
    json_object_set_new(fb, "failbackLaunchType", json_string(in->drill ? "DRILL" : "RECOVERY"));
  }
  return out;
}

/* ---- recovery instances ---- */

static int find_instance(struct orch_sim_call *c, const char *id, struct orch_aws_error *aerr, int *out) {
  int ii = id ? orch_sim_idx_get(c->env->instance_idx, id) : -1;
  if (ii < 0 || !orch_sim_instance_recovery_visible(ORCH_SIM_INSTANCE(c->env, ii), c->now))
    return orch_sim_drs_not_found(c, aerr, "RECOVERY_INSTANCE", id ? id : "(none)");
  *out = ii;
  return 0;
}

static bool instance_in_active_job(const struct orch_sim_call *c, int ii) {
  for (size_t i = c->env->jobs.n; i-- > 0;) {
    const struct orch_sim_job *j = ORCH_SIM_JOB(c->env, i);
    if (!orch_sim_job_active(j, c->now)) continue;
    for (size_t k = 0; k < j->nps; k++)
      if (j->ps[k].instance == ii) return true;
  }
  return false;
}

static int drs_describe_recovery_instances(struct orch_sim_call *c, const json_t *in, json_t **out,
                                           struct orch_aws_error *aerr) {
  json_t *filters = json_object_get(in, "filters");
  json_t *rids = json_object_get(filters, "recoveryInstanceIDs"), *sids = json_object_get(filters, "sourceServerIDs");
  size_t start, max;
  int rc = orch_sim_drs_page_bounds(in, &start, &max, aerr);
  if (rc) return rc;
  json_t *items = json_array(), *res = json_pack("{s:o}", "items", items);
  if (!res) return orch_sim_drs_internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = items, .token_key = "nextToken", .start = start, .max = max};
  for (size_t i = 0; i < c->env->instances.n && !pg.done; i++) {
    const struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(c->env, i);
    if (!orch_sim_instance_recovery_visible(ri, c->now)) continue;
    if (rids && !orch_sim_in_list(rids, ri->id)) continue;
    if (sids && !orch_sim_in_list(sids, ORCH_SIM_SERVER(c->env, ri->server)->id)) continue;
    if (orch_sim_page_take(&pg)) orch_sim_page_add(&pg, recovery_instance_json(c, ri));
  }
  return orch_sim_page_end(&pg, out) ? orch_sim_drs_internal(aerr) : 0;
}

/* Active jobs and their servers, for the quota checks of jobs other than StartRecovery. */
static int check_job_quotas(struct orch_sim_call *c, size_t n, struct orch_aws_error *aerr) {
  size_t jobs = 0, servers = 0;
  char msg[256];
  orch_sim_drs_active_totals(c, &jobs, &servers);
  if ((double)(jobs + 1) > c->w->quotas[ORCH_SIM_Q_CONCURRENT_JOBS].value) {
    snprintf(msg, sizeof msg, "Cannot start another job: %zu jobs are active", jobs);
    return orch_sim_drs_quota_exceeded(c, aerr, ORCH_SIM_Q_CONCURRENT_JOBS, msg);
  }
  if ((double)(servers + n) > c->w->quotas[ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS].value) {
    snprintf(msg, sizeof msg, "Cannot add %zu source servers: %zu are in active jobs", n, servers);
    return orch_sim_drs_quota_exceeded(c, aerr, ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS, msg);
  }
  return 0;
}

/* Collect and check the recovery instances named by `key` of `in`. */
static int instances_arg(struct orch_sim_call *c, const json_t *in, const char *key, int **out, size_t *nout,
                         struct orch_aws_error *aerr) {
  json_t *list = json_object_get(in, key);
  size_t n = json_array_size(list);
  int rc;
  if (n == 0) return orch_sim_drs_validation(c, aerr, key, "At least one recovery instance is required");
  int *idx = orch_calloc(n, sizeof *idx);
  if (!idx) return orch_sim_drs_internal(aerr);
  for (size_t i = 0; i < n; i++) {
    if ((rc = find_instance(c, json_string_value(json_array_get(list, i)), aerr, &idx[i]))) goto fail;
    if (instance_in_active_job(c, idx[i])) {
      rc = orch_sim_drs_conflict(c, aerr, "RECOVERY_INSTANCE", ORCH_SIM_INSTANCE(c->env, idx[i])->id,
                    "Recovery instance is participating in an active job");
      goto fail;
    }
  }
  *out = idx;
  *nout = n;
  return 0;
fail:
  orch_free(idx);
  return rc;
}

static int drs_terminate_recovery_instances(struct orch_sim_call *c, const json_t *in, json_t **out,
                                            struct orch_aws_error *aerr) {
  int *idx = NULL, rc;
  size_t n = 0;
  struct orch_sim_job *j = NULL;
  if ((rc = instances_arg(c, in, "recoveryInstanceIDs", &idx, &n, aerr))) return rc;
  if ((rc = check_job_quotas(c, n, aerr))) goto out;
  if (orch_sim_drs_new_job(c, ORCH_SIM_JOB_TERMINATE, "TERMINATE_RECOVERY_INSTANCES", false, NULL, n, &j)) {
    rc = orch_sim_drs_internal(aerr);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(c->env, idx[i]);
    struct orch_sim_pserver *p = &j->ps[i];
    p->server = ri->server;
    p->instance = idx[i];
    p->t_snap_start = j->started_ms;
    p->t_done = j->started_ms + orch_sim_dist_sample(&c->w->timing.terminate, &c->w->rng);
    j->drill = j->drill || ri->drill;
  }
  if ((rc = orch_sim_drs_add_job(c, j, aerr))) goto out;
  for (size_t i = 0; i < n; i++) {
    struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(c->env, idx[i]);
    if (ri->t_shutting_down > j->started_ms) ri->t_shutting_down = j->started_ms;
    if (ri->t_terminated > j->ps[i].t_done) ri->t_terminated = j->ps[i].t_done;
  }
  *out = json_pack("{s:o}", "job", orch_sim_drs_job_json(c, j));
  if (!*out) rc = orch_sim_drs_internal(aerr);
out:
  orch_free(idx);
  return rc;
}

/* ---- launch configuration, snapshots ---- */

static int find_server(struct orch_sim_call *c, const json_t *in, struct orch_aws_error *aerr, bool nf_is_404,
                       struct orch_sim_server **out) {
  const char *id = orch_sim_str(in, "sourceServerID");
  int si = id ? orch_sim_idx_get(c->env->server_idx, id) : -1;
  if (si < 0) {
    if (nf_is_404) return orch_sim_drs_not_found(c, aerr, "SOURCE_SERVER", id ? id : "(none)");
    return orch_sim_drs_validation(c, aerr, "sourceServerID", "Source server not found");
  }
  *out = ORCH_SIM_SERVER(c->env, si);
  return 0;
}

static json_t *launch_config_json(const struct orch_sim_call *c, const struct orch_sim_server *s) {
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:b, s:{s:b}, s:b}", "sourceServerID", s->id, "name", s->lc_name,
                   "ec2LaunchTemplateID", ORCH_SIM_LT(c->env, s->lt)->id, "launchDisposition", s->launch_disposition,
                   "targetInstanceTypeRightSizingMethod", s->right_sizing, "copyPrivateIp", s->copy_private_ip,
                   "copyTags", s->copy_tags, "licensing", "osByol", s->os_byol, "postLaunchEnabled", s->post_launch);
}

static int drs_get_launch_configuration(struct orch_sim_call *c, const json_t *in, json_t **out,
                                        struct orch_aws_error *aerr) {
  struct orch_sim_server *s = NULL;
  int rc = find_server(c, in, aerr, true, &s);
  if (rc || !s) return rc ? rc : orch_sim_drs_internal(aerr);
  *out = launch_config_json(c, s);
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

static int drs_update_launch_configuration(struct orch_sim_call *c, const json_t *in, json_t **out,
                                           struct orch_aws_error *aerr) {
  struct orch_sim_server *s = NULL;
  int rc = find_server(c, in, aerr, true, &s);
  const char *v;
  json_t *b;
  if (rc || !s) return rc ? rc : orch_sim_drs_internal(aerr);
  if (orch_sim_drs_server_active_jobs(c, orch_sim_idx_get(c->env->server_idx, s->id)) > 0)
    return orch_sim_drs_conflict(c, aerr, "SOURCE_SERVER", s->id, "Cannot update the launch configuration during an active job");
  if ((v = orch_sim_str(in, "name"))) snprintf(s->lc_name, sizeof s->lc_name, "%s", v);
  if ((v = orch_sim_str(in, "launchDisposition"))) snprintf(s->launch_disposition, sizeof s->launch_disposition, "%s", v);
  if ((v = orch_sim_str(in, "targetInstanceTypeRightSizingMethod")))
    snprintf(s->right_sizing, sizeof s->right_sizing, "%s", v);
  if ((b = json_object_get(in, "copyPrivateIp")) && json_is_boolean(b)) s->copy_private_ip = json_is_true(b);
  if ((b = json_object_get(in, "copyTags")) && json_is_boolean(b)) s->copy_tags = json_is_true(b);
  if ((b = json_object_get(in, "postLaunchEnabled")) && json_is_boolean(b)) s->post_launch = json_is_true(b);
  if ((b = json_object_get(json_object_get(in, "licensing"), "osByol")) && json_is_boolean(b))
    s->os_byol = json_is_true(b);
  *out = launch_config_json(c, s);
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

static int drs_describe_recovery_snapshots(struct orch_sim_call *c, const json_t *in, json_t **out,
                                           struct orch_aws_error *aerr) {
  struct orch_sim_server *s = NULL;
  json_t *filters = json_object_get(in, "filters");
  const char *from = orch_sim_str(filters, "fromDateTime"), *to = orch_sim_str(filters, "toDateTime");
  const char *order = orch_sim_str(in, "order");
  bool desc = order && strcmp(order, "DESC") == 0;
  int64_t from_ms = INT64_MIN, to_ms = INT64_MAX;
  size_t start, max;
  int rc = find_server(c, in, aerr, false, &s);
  if (rc || (rc = orch_sim_drs_page_bounds(in, &start, &max, aerr))) return rc;
  if (from && orch_time_parse_iso8601(from, &from_ms)) return orch_sim_drs_validation(c, aerr, "filters.fromDateTime", "Invalid date");
  if (to && orch_time_parse_iso8601(to, &to_ms)) return orch_sim_drs_validation(c, aerr, "filters.toDateTime", "Invalid date");
  json_t *items = json_array(), *res = json_pack("{s:o}", "items", items);
  if (!res) return orch_sim_drs_internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = items, .token_key = "nextToken", .start = start, .max = max};
  for (size_t k = 0; k < s->nsnaps && !pg.done; k++) {
    const struct orch_sim_snapshot *sn = &s->snaps[desc ? s->nsnaps - 1 - k : k];
    if (sn->at_ms > c->now || sn->at_ms < from_ms || sn->at_ms > to_ms) continue;
    if (!orch_sim_page_take(&pg)) continue;
    char ebs[32];
    snprintf(ebs, sizeof ebs, "snap-%s", sn->id + 4);
    orch_sim_page_add(&pg, json_pack("{s:s, s:s, s:o, s:o, s:[s]}", "snapshotID", sn->id, "sourceServerID", s->id,
                                     "expectedTimestamp", orch_sim_time_json(sn->at_ms), "timestamp",
                                     orch_sim_time_json(sn->at_ms), "ebsSnapshots", ebs));
  }
  return orch_sim_page_end(&pg, out) ? orch_sim_drs_internal(aerr) : 0;
}

/* ---- failback ---- */

static int drs_start_failback_launch(struct orch_sim_call *c, const json_t *in, json_t **out,
                                     struct orch_aws_error *aerr) {
  int *idx = NULL, rc;
  size_t n = 0;
  struct orch_sim_job *j = NULL;
  if ((rc = instances_arg(c, in, "recoveryInstanceIDs", &idx, &n, aerr))) return rc;
  for (size_t i = 0; i < n; i++) {
    const struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(c->env, idx[i]);
    if (ri->drill) {
      rc = orch_sim_drs_validation(c, aerr, "recoveryInstanceIDs", "Failback is not possible for drill instances");
      goto out;
    }
  }
  if ((rc = check_job_quotas(c, n, aerr))) goto out;
  if (orch_sim_drs_new_job(c, ORCH_SIM_JOB_LAUNCH, "FAILBACK", false, json_object_get(in, "tags"), n, &j)) {
    rc = orch_sim_drs_internal(aerr);
    goto out;
  }
  for (size_t i = 0; i < n; i++) {
    struct orch_sim_pserver *p = &j->ps[i];
    const struct orch_sim_timing *t = &c->w->timing;
    p->server = ORCH_SIM_INSTANCE(c->env, idx[i])->server;
    p->instance = idx[i];
    p->t_snap_start = p->t_snap_end = p->t_conv_start = j->started_ms;
    p->t_conv_end = p->t_launch_start = j->started_ms + orch_sim_dist_sample(&t->conversion, &c->w->rng);
    p->t_done = p->t_launch_start + orch_sim_dist_sample(&t->launch, &c->w->rng);
  }
  if ((rc = orch_sim_drs_add_job(c, j, aerr))) goto out;
  for (size_t i = 0; i < n; i++) {
    struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(c->env, idx[i]);
    snprintf(ri->failback_job, sizeof ri->failback_job, "%s", j->id);
    ri->failback_ms = c->now;
  }
  *out = json_pack("{s:o}", "job", orch_sim_drs_job_json(c, j));
  if (!*out) rc = orch_sim_drs_internal(aerr);
out:
  orch_free(idx);
  return rc;
}

static int one_instance(struct orch_sim_call *c, const json_t *in, struct orch_aws_error *aerr,
                        struct orch_sim_instance **out) {
  int ii = -1, rc = find_instance(c, orch_sim_str(in, "recoveryInstanceID"), aerr, &ii);
  if (rc || ii < 0) return rc ? rc : orch_sim_drs_internal(aerr);
  if (instance_in_active_job(c, ii))
    return orch_sim_drs_conflict(c, aerr, "RECOVERY_INSTANCE", ORCH_SIM_INSTANCE(c->env, ii)->id,
                    "Recovery instance is participating in an active job");
  *out = ORCH_SIM_INSTANCE(c->env, ii);
  return 0;
}

static int drs_reverse_replication(struct orch_sim_call *c, const json_t *in, json_t **out,
                                   struct orch_aws_error *aerr) {
  struct orch_sim_instance *ri = NULL;
  int rc = one_instance(c, in, aerr, &ri);
  if (rc || !ri) return rc ? rc : orch_sim_drs_internal(aerr);
  if (ri->drill) return orch_sim_drs_validation(c, aerr, "recoveryInstanceID", "Cannot reverse replication of a drill instance");
  struct orch_sim_server *s = ORCH_SIM_SERVER(c->env, ri->server);
  if (strcmp(ri->failback_state, "FAILBACK_READY_FOR_LAUNCH") == 0)
    return orch_sim_drs_conflict(c, aerr, "RECOVERY_INSTANCE", ri->id, "Replication is already reversed");
  snprintf(ri->failback_state, sizeof ri->failback_state, "FAILBACK_READY_FOR_LAUNCH");
  snprintf(s->direction, sizeof s->direction, "FAILBACK");
  snprintf(s->reversed_arn, sizeof s->reversed_arn, "%s", s->arn);
  *out = json_pack("{s:s}", "reversedDirectionSourceServerArn", s->arn);
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

static int drs_stop_failback(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  int ii = -1, rc = find_instance(c, orch_sim_str(in, "recoveryInstanceID"), aerr, &ii);
  if (rc || ii < 0) return rc ? rc : orch_sim_drs_internal(aerr);
  struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(c->env, ii);
  ri->failback_job[0] = '\0';
  snprintf(ri->failback_state, sizeof ri->failback_state, "FAILBACK_NOT_STARTED");
  snprintf(ORCH_SIM_SERVER(c->env, ri->server)->direction, 16, "FAILOVER");
  *out = json_object();
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

static int drs_disconnect_recovery_instance(struct orch_sim_call *c, const json_t *in, json_t **out,
                                            struct orch_aws_error *aerr) {
  struct orch_sim_instance *ri = NULL;
  int rc = one_instance(c, in, aerr, &ri);
  if (rc || !ri) return rc ? rc : orch_sim_drs_internal(aerr);
  ri->disconnected = true;
  *out = json_object();
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

/* ---- tags ---- */

/* The tags object of the DRS resource named by an ARN in the caller's account and region. */
static json_t *arn_tags(struct orch_sim_call *c, const char *arn) {
  char prefix[160];
  orch_sim_arn(prefix, sizeof prefix, c->w, c->env, "drs", "");
  if (!arn || strncmp(arn, prefix, strlen(prefix)) != 0) return NULL;
  const char *res = arn + strlen(prefix);
  const char *slash = strchr(res, '/');
  if (!slash) return NULL;
  int i;
  if (strncmp(res, "source-server/", 14) == 0 && (i = orch_sim_idx_get(c->env->server_idx, slash + 1)) >= 0)
    return ORCH_SIM_SERVER(c->env, i)->tags;
  if (strncmp(res, "job/", 4) == 0 && (i = orch_sim_idx_get(c->env->job_idx, slash + 1)) >= 0)
    return ORCH_SIM_JOB(c->env, i)->tags;
  if (strncmp(res, "recovery-instance/", 18) == 0 && (i = orch_sim_idx_get(c->env->instance_idx, slash + 1)) >= 0 &&
      ORCH_SIM_INSTANCE(c->env, i)->recovery)
    return ORCH_SIM_INSTANCE(c->env, i)->rtags;
  return NULL;
}

static int drs_tag_resource(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *arn = orch_sim_str(in, "resourceArn");
  json_t *tags = arn_tags(c, arn), *add = json_object_get(in, "tags");
  if (!tags) return orch_sim_drs_not_found(c, aerr, "RESOURCE", arn ? arn : "(none)");
  if (json_object_size(tags) + json_object_size(add) > 50) return orch_sim_drs_validation(c, aerr, "tags", "Too many tags");
  if (json_object_update(tags, add)) return orch_sim_drs_internal(aerr);
  *out = json_object();
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

static int drs_list_tags_for_resource(struct orch_sim_call *c, const json_t *in, json_t **out,
                                      struct orch_aws_error *aerr) {
  const char *arn = orch_sim_str(in, "resourceArn");
  json_t *tags = arn_tags(c, arn);
  if (!tags) return orch_sim_drs_not_found(c, aerr, "RESOURCE", arn ? arn : "(none)");
  *out = json_pack("{s:O}", "tags", tags);
  return *out ? 0 : orch_sim_drs_internal(aerr);
}

const struct orch_sim_op orch_sim_drs_instance_ops[] = {
    {"DescribeRecoveryInstances", drs_describe_recovery_instances},
    {"TerminateRecoveryInstances", drs_terminate_recovery_instances},
    {"GetLaunchConfiguration", drs_get_launch_configuration},
    {"UpdateLaunchConfiguration", drs_update_launch_configuration},
    {"DescribeRecoverySnapshots", drs_describe_recovery_snapshots},
    {"StartFailbackLaunch", drs_start_failback_launch},
    {"ReverseReplication", drs_reverse_replication},
    {"StopFailback", drs_stop_failback},
    {"DisconnectRecoveryInstance", drs_disconnect_recovery_instance},
    {"TagResource", drs_tag_resource},
    {"ListTagsForResource", drs_list_tags_for_resource},
    {NULL, NULL},
};
