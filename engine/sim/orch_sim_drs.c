/* orch_sim_drs: Elastic Disaster Recovery handlers: source servers, recovery jobs with their timelines
 * and log items, quotas and conflicts (recovery instances, termination, launch configuration, snapshots,
 * failback and tags are orch_sim_drs_instances.c). Jobs fix every step's time when created; readers
 * evaluate them at the call's sim time. Uses orch_sim_drs_int, orch_sim_ops, orch_sim_world, orch_sim_rng,
 * orch_sim_faults, jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_time.h"
#include "sim/orch_sim_drs_int.h"

#define PAGE_MAX 1000
#define TAG_MANAGED "AWSElasticDisasterRecoveryManaged"
#define TAG_SOURCE "AWSElasticDisasterRecoverySourceServerID"

int orch_sim_drs_internal(struct orch_aws_error *aerr) {
  return orch_sim_fail(aerr, 500, "InternalServerException", "Internal server error");
}

int orch_sim_drs_validation(struct orch_sim_call *c, struct orch_aws_error *aerr, const char *field, const char *msg) {
  json_decref(c->error_fields);
  c->error_fields = json_pack("{s:s, s:[{s:s, s:s}]}", "reason", "fieldValidationFailed", "fieldList", "name",
                              field, "message", msg);
  return orch_sim_fail(aerr, 400, "ValidationException", "%s", msg);
}

int orch_sim_drs_not_found(struct orch_sim_call *c, struct orch_aws_error *aerr, const char *type, const char *id) {
  json_decref(c->error_fields);
  c->error_fields = json_pack("{s:s, s:s}", "resourceId", id, "resourceType", type);
  return orch_sim_fail(aerr, 404, "ResourceNotFoundException", "%s %s not found", type, id);
}

int orch_sim_drs_conflict(struct orch_sim_call *c, struct orch_aws_error *aerr, const char *type, const char *id,
                    const char *msg) {
  json_decref(c->error_fields);
  c->error_fields = json_pack("{s:s, s:s}", "resourceId", id, "resourceType", type);
  return orch_sim_fail(aerr, 409, "ConflictException", "%s", msg);
}

int orch_sim_drs_quota_exceeded(struct orch_sim_call *c, struct orch_aws_error *aerr, int q, const char *msg) {
  json_decref(c->error_fields);
  c->error_fields = json_pack("{s:s, s:s, s:s}", "serviceCode", "drs", "quotaCode", c->w->quotas[q].code,
                              "resourceType", "JOB");
  return orch_sim_fail(aerr, 402, "ServiceQuotaExceededException", "%s", msg);
}

int orch_sim_drs_page_bounds(const json_t *in, size_t *start, size_t *max, struct orch_aws_error *aerr) {
  json_t *m = json_object_get(in, "maxResults");
  *max = PAGE_MAX;
  if (json_is_integer(m) && json_integer_value(m) > 0 && json_integer_value(m) < PAGE_MAX)
    *max = (size_t)json_integer_value(m);
  return orch_sim_page_start(orch_sim_str(in, "nextToken"), start, "ValidationException", aerr);
}

/* ---- JSON views ---- */

static const char *last_launch_result(const struct orch_sim_env *env, const struct orch_sim_server *s, int64_t now,
                                      const struct orch_sim_pserver **pout, const struct orch_sim_job **jout) {
  *pout = NULL;
  *jout = NULL;
  if (s->last_job < 0) return "NOT_STARTED";
  const struct orch_sim_job *j = ORCH_SIM_JOB(env, s->last_job);
  for (size_t i = 0; i < j->nps; i++) {
    if (strcmp(ORCH_SIM_SERVER(env, j->ps[i].server)->id, s->id) != 0) continue;
    *pout = &j->ps[i];
    *jout = j;
    const char *st = orch_sim_pserver_status(j, &j->ps[i], now);
    if (strcmp(st, "LAUNCHED") == 0) return "SUCCEEDED";
    if (strcmp(st, "FAILED") == 0) return "FAILED";
    return "PENDING";
  }
  return "NOT_STARTED";
}

static json_t *server_json(const struct orch_sim_call *c, const struct orch_sim_server *s) {
  const struct orch_sim_env *env = c->env;
  char lag[32], elapsed[32], mac[24];
  orch_sim_iso_duration(lag, s->lag_ms);
  orch_sim_iso_duration(elapsed, c->now - s->added_ms);
  snprintf(mac, sizeof mac, "02:%02x:%02x:%02x:%02x:%02x", (unsigned char)s->id[2], (unsigned char)s->id[3],
           (unsigned char)s->id[4], (unsigned char)s->id[5], (unsigned char)s->id[6]);
  const struct orch_sim_pserver *p;
  const struct orch_sim_job *j;
  const char *llr = last_launch_result(env, s, c->now, &p, &j);
  json_t *out = json_pack(
      "{s:s, s:s, s:O, s:s, s:s, s:{s:s, s:s, s:[{s:s, s:I, s:I, s:I, s:I}], s:s},"
      " s:{s:o, s:o, s:s, s:o}, s:{s:o, s:s, s:{s:s, s:s}, s:[{s:s, s:[s], s:b}], s:[{s:s, s:I}],"
      " s:[{s:I, s:s}], s:I, s:{s:s}}, s:{s:s}}",
      "sourceServerID", s->id, "arn", s->arn, "tags", s->tags, "lastLaunchResult", llr, "replicationDirection",
      s->direction, "dataReplicationInfo", "lagDuration", lag, "dataReplicationState", s->repl_state,
      "replicatedDisks", "deviceName", s->windows ? "Disk0" : "/dev/sda", "totalStorageBytes",
      (json_int_t)s->disk_bytes, "replicatedStorageBytes", (json_int_t)s->disk_bytes, "rescannedStorageBytes",
      (json_int_t)0, "backloggedStorageBytes", (json_int_t)0, "stagingAvailabilityZone", env->subnets[0].az,
      "lifeCycle", "addedToServiceDateTime", orch_sim_time_json(s->added_ms), "firstByteDateTime",
      orch_sim_time_json(s->added_ms + 60000), "elapsedReplicationDuration", elapsed, "lastSeenByServiceDateTime",
      orch_sim_time_json(c->now - (c->now % 60000)), "sourceProperties", "lastUpdatedDateTime",
      orch_sim_time_json(s->added_ms), "recommendedInstanceType", s->instance_type, "identificationHints", "fqdn",
      s->fqdn, "hostname", s->hostname, "networkInterfaces", "macAddress", mac, "ips", s->ip, "isPrimary", 1,
      "disks", "deviceName", s->windows ? "Disk0" : "/dev/sda", "bytes", (json_int_t)s->disk_bytes, "cpus",
      "cores", (json_int_t)s->cpus, "modelName", "Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz", "ramBytes",
      (json_int_t)s->ram_bytes, "os", "fullString", s->os, "stagingArea", "status", "NOT_EXTENDED");
  if (!out) return NULL;
  if (s->last_instance >= 0) {
    const struct orch_sim_instance *ri = ORCH_SIM_INSTANCE(env, s->last_instance);
    if (orch_sim_instance_recovery_visible(ri, c->now))
      json_object_set_new(out, "recoveryInstanceId", json_string(ri->id));
  }
  if (j) {
    json_t *lc = json_object_get(out, "lifeCycle");
    json_object_set_new(lc, "lastLaunch",
                        json_pack("{s:{s:o, s:s, s:s}, s:s}", "initiated", "apiCallDateTime",
                                  orch_sim_time_json(j->created_ms), "jobID", j->id, "type",
                                  j->drill ? "DRILL" : "RECOVERY", "status", orch_sim_pserver_status(j, p, c->now)));
  }
  if (s->reversed_arn[0]) json_object_set_new(out, "reversedDirectionSourceServerArn", json_string(s->reversed_arn));
  return out;
}

json_t *orch_sim_drs_job_json(const struct orch_sim_call *c, const struct orch_sim_job *j) {
  static const char *const st[] = {"PENDING", "STARTED", "COMPLETED"};
  enum orch_sim_job_status status = orch_sim_job_status(j, c->now);
  json_t *ps = json_array();
  json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s, s:O, s:o}", "jobID", j->id, "arn", j->arn, "type",
                          j->type == ORCH_SIM_JOB_LAUNCH ? "LAUNCH" : "TERMINATE", "initiatedBy", j->initiated_by,
                          "creationDateTime", orch_sim_time_json(j->created_ms), "status", st[status], "tags", j->tags,
                          "participatingServers", ps);
  if (!out) return NULL;
  if (status == ORCH_SIM_JOB_COMPLETED) json_object_set_new(out, "endDateTime", orch_sim_time_json(j->end_ms));
  for (size_t i = 0; i < j->nps; i++) {
    const struct orch_sim_pserver *p = &j->ps[i];
    json_t *e = json_pack("{s:s, s:s}", "sourceServerID", ORCH_SIM_SERVER(c->env, p->server)->id, "launchStatus",
                          orch_sim_pserver_status(j, p, c->now));
    if (!e) goto fail;
    if (p->instance >= 0) {
      const struct orch_sim_instance *in = ORCH_SIM_INSTANCE(c->env, p->instance);
      if (c->now >= in->t_created) json_object_set_new(e, "recoveryInstanceID", json_string(in->id));
    }
    if (json_array_append_new(ps, e)) goto fail;
  }
  return out;
fail:
  json_decref(out);
  return NULL;
}

/* ---- DescribeSourceServers ---- */

static int drs_describe_source_servers(struct orch_sim_call *c, const json_t *in, json_t **out,
                                       struct orch_aws_error *aerr) {
  json_t *filters = json_object_get(in, "filters");
  json_t *ids = json_object_get(filters, "sourceServerIDs");
  size_t start, max, i;
  int rc = orch_sim_drs_page_bounds(in, &start, &max, aerr);
  if (rc) return rc;
  json_t *items = json_array();
  json_t *res = json_pack("{s:o}", "items", items);
  if (!res) return orch_sim_drs_internal(aerr);
  struct orch_sim_page pg = {.res = res, .items = items, .token_key = "nextToken", .start = start, .max = max};
  for (i = 0; i < c->env->servers.n && !pg.done; i++) {
    const struct orch_sim_server *s = ORCH_SIM_SERVER(c->env, i);
    if (ids && !orch_sim_in_list(ids, s->id)) continue;
    if (orch_sim_page_take(&pg)) orch_sim_page_add(&pg, server_json(c, s));
  }
  return orch_sim_page_end(&pg, out) ? orch_sim_drs_internal(aerr) : 0;
}

/* ---- StartRecovery ---- */

/* How many active jobs `server` takes part in. */
size_t orch_sim_drs_server_active_jobs(const struct orch_sim_call *c, int server) {
  size_t n = 0;
  for (size_t i = 0; i < c->env->jobs.n; i++) {
    const struct orch_sim_job *j = ORCH_SIM_JOB(c->env, i);
    if (!orch_sim_job_active(j, c->now)) continue;
    for (size_t k = 0; k < j->nps; k++)
      if (j->ps[k].server == server) {
        n++;
        break;
      }
  }
  return n;
}

/* The active jobs, and the servers taking part in them, of the caller's account and region. */
void orch_sim_drs_active_totals(const struct orch_sim_call *c, size_t *jobs, size_t *servers) {
  *jobs = *servers = 0;
  for (size_t i = 0; i < c->env->jobs.n; i++) {
    const struct orch_sim_job *j = ORCH_SIM_JOB(c->env, i);
    if (!orch_sim_job_active(j, c->now)) continue;
    (*jobs)++;
    *servers += j->nps;
  }
}

static const struct orch_sim_launch_rule *launch_rule(const struct orch_sim_call *c, const struct orch_sim_server *s) {
  const struct orch_sim_faults *f = &c->w->faults;
  for (size_t i = 0; i < f->nlaunch; i++) {
    const struct orch_sim_launch_rule *r = &f->launch[i];
    if (r->server_id && strcmp(r->server_id, s->id) != 0) continue;
    if (!orch_sim_tags_match(s->tags, r->tags)) continue;
    return r;
  }
  return NULL;
}

static bool ready_for_recovery(const struct orch_sim_server *s) {
  static const char *const ok[] = {"CONTINUOUS", "BACKLOG", "CREATING_SNAPSHOT", "RESCAN", "PAUSED", "STALLED", NULL};
  for (size_t i = 0; ok[i]; i++)
    if (strcmp(ok[i], s->repl_state) == 0) return s->nsnaps > 0 || strcmp(s->repl_state, "STALLED") != 0;
  return false;
}

int orch_sim_drs_new_job(struct orch_sim_call *c, enum orch_sim_job_type type, const char *initiated_by, bool drill,
                   const json_t *tags, size_t nps, struct orch_sim_job **out) {
  char res[64];
  struct orch_sim_job *j = orch_calloc(1, sizeof *j);
  if (!j) return ORCH_ENOMEM;
  j->ps = orch_calloc(nps ? nps : 1, sizeof *j->ps);
  j->tags = tags ? json_deep_copy(tags) : json_object();
  if (!j->ps || !j->tags) goto fail;
  orch_sim_rng_hex_id(&c->w->rng, j->id, sizeof j->id, "drsjob-", 17);
  snprintf(res, sizeof res, "job/%s", j->id);
  orch_sim_arn(j->arn, sizeof j->arn, c->w, c->env, "drs", res);
  j->type = type;
  snprintf(j->initiated_by, sizeof j->initiated_by, "%s", initiated_by);
  j->drill = drill;
  j->nps = nps;
  j->created_ms = c->now;
  j->started_ms = c->now + orch_sim_dist_sample(&c->w->timing.job_start, &c->w->rng);
  /* Eventual consistency: the fault generator decides, so turning it on shifts no id or timing. */
  j->listed_ms = c->now;
  if (c->w->faults.has_new_jobs) j->listed_ms += orch_sim_dist_sample(&c->w->faults.new_jobs, &c->w->fault_rng);
  *out = j;
  return 0;
fail:
  json_decref(j->tags);
  orch_free(j->ps);
  orch_free(j);
  return ORCH_ENOMEM;
}

static void free_unadded_job(struct orch_sim_job *j) {
  if (!j) return;
  for (size_t i = 0; i < j->nps; i++) orch_free(j->ps[i].fail_reason);
  orch_free(j->ps);
  json_decref(j->tags);
  orch_free(j);
}

/* Fix the job's end and add it to the env, which takes ownership; on failure `j` is freed (an internal
 * error in aerr). */
int orch_sim_drs_add_job(struct orch_sim_call *c, struct orch_sim_job *j, struct orch_aws_error *aerr) {
  int64_t end = j->started_ms;
  for (size_t i = 0; i < j->nps; i++)
    if (j->ps[i].t_done > end) end = j->ps[i].t_done;
  j->end_ms = end + 1000;
  if (orch_sim_vec_push_indexed(&c->env->jobs, c->env->job_idx, j->id, j)) {
    free_unadded_job(j);
    return orch_sim_drs_internal(aerr);
  }
  return 0;
}

/* The recovery instance a successful launch creates, with its EC2 life fixed in advance. */
static int launch_instance(struct orch_sim_call *c, struct orch_sim_job *j, struct orch_sim_pserver *p, size_t ji) {
  struct orch_sim_world *w = c->w;
  struct orch_sim_env *env = c->env;
  struct orch_sim_server *s = ORCH_SIM_SERVER(env, p->server);
  const struct orch_sim_lt *lt = ORCH_SIM_LT(env, s->lt);
  const json_t *data = NULL;
  char res[64];
  for (size_t v = 0; v < lt->nversions; v++)
    if (lt->versions[v].number == lt->default_version) data = lt->versions[v].data;
  struct orch_sim_instance *in = orch_calloc(1, sizeof *in);
  if (!in) return ORCH_ENOMEM;
  orch_sim_rng_hex_id(&w->rng, in->id, sizeof in->id, "i-", 17);
  snprintf(res, sizeof res, "recovery-instance/%s", in->id);
  orch_sim_arn(in->arn, sizeof in->arn, w, env, "drs", res);
  in->server = p->server;
  in->job = (int)ji;
  in->drill = j->drill;
  in->recovery = true;
  in->windows = s->windows;
  in->t_created = p->t_launch_start;
  in->t_running = p->t_done;
  in->t_status_ok = p->t_done + orch_sim_dist_sample(&w->timing.boot, &w->rng);
  in->t_ssm_online = in->t_status_ok + orch_sim_dist_sample(&w->timing.ssm_ready, &w->rng);
  in->t_stopping = in->t_stopped = in->t_shutting_down = in->t_terminated = ORCH_SIM_NEVER;
  if (strcmp(s->launch_disposition, "STOPPED") == 0) {
    in->t_stopping = p->t_done + 1000;
    in->t_stopped = p->t_done + 2000;
  }
  in->pit_ms = s->nsnaps ? s->snaps[s->nsnaps - 1].at_ms : c->now;
  /* Launch template: subnet, security groups, instance type. */
  json_t *ni = json_array_get(json_object_get(data, "NetworkInterfaces"), 0);
  const char *subnet = orch_sim_str(ni, "SubnetId") ? orch_sim_str(ni, "SubnetId") : orch_sim_str(data, "SubnetId");
  int sn = subnet ? orch_sim_env_subnet(env, subnet) : -1;
  in->subnet = sn < 0 ? 0 : sn;
  const char *itype = orch_sim_str(data, "InstanceType");
  snprintf(in->instance_type, sizeof in->instance_type, "%s", itype ? itype : s->instance_type);
  json_t *groups = json_object_get(ni, "Groups");
  if (!groups) groups = json_object_get(data, "SecurityGroupIds");
  size_t gi;
  json_t *g;
  json_array_foreach(groups, gi, g) {
    if (in->nsg < 4 && json_is_string(g)) snprintf(in->sg_ids[in->nsg++], sizeof in->sg_ids[0], "%s", json_string_value(g));
  }
  if (!in->nsg) snprintf(in->sg_ids[in->nsg++], sizeof in->sg_ids[0], "%s", env->sgs[0].id);
  snprintf(in->image_id, sizeof in->image_id, "ami-0%016llx", (unsigned long long)(orch_sim_rng_next(&w->rng) >> 4));
  if (s->copy_private_ip) snprintf(in->ip, sizeof in->ip, "%s", s->ip);
  else orch_sim_subnet_next_ip(&env->subnets[in->subnet], in->ip);
  in->tags = s->copy_tags ? json_deep_copy(s->tags) : json_object();
  in->rtags = json_object();
  if (!in->tags || !in->rtags) goto fail;
  if (!json_object_get(in->tags, "Name")) json_object_set_new(in->tags, "Name", json_string(s->hostname));
  json_object_set_new(in->tags, TAG_MANAGED, json_string("drs.amazonaws.com"));
  json_object_set_new(in->tags, TAG_SOURCE, json_string(s->id));
  if (orch_sim_vec_push_indexed(&env->instances, env->instance_idx, in->id, in)) goto fail;
  /* A new launch replaces the server's previous recovery instance, which is terminated. */
  if (s->last_instance >= 0) {
    struct orch_sim_instance *old = ORCH_SIM_INSTANCE(env, s->last_instance);
    if (old->t_terminated == ORCH_SIM_NEVER && !old->disconnected) {
      old->t_shutting_down = p->t_launch_start > c->now ? p->t_launch_start : c->now;
      old->t_terminated = old->t_shutting_down + orch_sim_dist_sample(&w->timing.terminate, &w->rng);
    }
  }
  p->instance = (int)env->instances.n - 1;
  s->last_instance = p->instance;
  return 0;
fail:
  json_decref(in->tags);
  json_decref(in->rtags);
  orch_free(in);
  return ORCH_ENOMEM;
}

static int drs_start_recovery(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  struct orch_sim_world *w = c->w;
  struct orch_sim_env *env = c->env;
  json_t *list = json_object_get(in, "sourceServers");
  json_t *tags = json_object_get(in, "tags");
  bool drill = json_is_true(json_object_get(in, "isDrill"));
  size_t n = json_array_size(list), i;
  int *idx = NULL, rc = 0;
  struct orch_sim_job *j = NULL;
  json_t *ids = json_array();
  const char *err_code = NULL;
  char msg[512];
  if (!ids) return orch_sim_drs_internal(aerr);
  idx = orch_calloc(n ? n : 1, sizeof *idx);
  if (!idx) {
    rc = orch_sim_drs_internal(aerr);
    goto out;
  }
  for (i = 0; i < n; i++) {
    const char *id = orch_sim_str(json_array_get(list, i), "sourceServerID");
    json_array_append_new(ids, json_string(id ? id : ""));
  }
  if (n == 0) {
    rc = orch_sim_drs_validation(c, aerr, "sourceServers", "sourceServers must contain at least 1 item");
    goto out;
  }
  for (i = 0; i < n; i++) {
    json_t *e = json_array_get(list, i);
    const char *id = orch_sim_str(e, "sourceServerID");
    const char *snap = orch_sim_str(e, "recoverySnapshotID");
    idx[i] = id ? orch_sim_idx_get(env->server_idx, id) : -1;
    if (idx[i] < 0) {
      snprintf(msg, sizeof msg, "Source server %s does not exist in account %s region %s", id ? id : "(none)",
               w->accounts[env->account].id, env->region);
      rc = orch_sim_drs_validation(c, aerr, "sourceServers", msg);
      goto out;
    }
    for (size_t k = 0; k < i; k++) {
      if (idx[k] == idx[i]) {
        snprintf(msg, sizeof msg, "Source server %s appears more than once", id);
        rc = orch_sim_drs_validation(c, aerr, "sourceServers", msg);
        goto out;
      }
    }
    if (snap) {
      const struct orch_sim_server *s = ORCH_SIM_SERVER(env, idx[i]);
      bool found = false;
      for (size_t k = 0; k < s->nsnaps && !found; k++) found = strcmp(s->snaps[k].id, snap) == 0 && s->snaps[k].at_ms <= c->now;
      if (!found) {
        snprintf(msg, sizeof msg, "Recovery snapshot %s not found for source server %s", snap, id);
        rc = orch_sim_drs_validation(c, aerr, "recoverySnapshotID", msg);
        goto out;
      }
    }
  }
  size_t active_jobs = 0, active_servers = 0;
  if ((double)n > w->quotas[ORCH_SIM_Q_SERVERS_PER_JOB].value) {
    snprintf(msg, sizeof msg, "Cannot start a job with %zu source servers: the quota is %.0f per job", n,
             w->quotas[ORCH_SIM_Q_SERVERS_PER_JOB].value);
    rc = orch_sim_drs_quota_exceeded(c, aerr, ORCH_SIM_Q_SERVERS_PER_JOB, msg);
    goto out;
  }
  orch_sim_drs_active_totals(c, &active_jobs, &active_servers);
  for (i = 0; i < n; i++) {
    /* L-DD6D028C, concurrent jobs per source server (1): DRS answers a conflict naming the server. */
    if ((double)orch_sim_drs_server_active_jobs(c, idx[i]) >= w->quotas[ORCH_SIM_Q_JOBS_PER_SERVER].value) {
      const struct orch_sim_server *s = ORCH_SIM_SERVER(env, idx[i]);
      snprintf(msg, sizeof msg, "Source server %s is already participating in an active job", s->id);
      rc = orch_sim_drs_conflict(c, aerr, "SOURCE_SERVER", s->id, msg);
      goto out;
    }
  }
  if ((double)(active_jobs + 1) > w->quotas[ORCH_SIM_Q_CONCURRENT_JOBS].value) {
    snprintf(msg, sizeof msg, "Cannot start another job: %zu jobs are active and the quota is %.0f", active_jobs,
             w->quotas[ORCH_SIM_Q_CONCURRENT_JOBS].value);
    rc = orch_sim_drs_quota_exceeded(c, aerr, ORCH_SIM_Q_CONCURRENT_JOBS, msg);
    goto out;
  }
  if ((double)(active_servers + n) > w->quotas[ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS].value) {
    snprintf(msg, sizeof msg, "Cannot add %zu source servers: %zu are in active jobs and the quota is %.0f", n,
             active_servers, w->quotas[ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS].value);
    rc = orch_sim_drs_quota_exceeded(c, aerr, ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS, msg);
    goto out;
  }
  if (orch_sim_drs_new_job(c, ORCH_SIM_JOB_LAUNCH, drill ? "START_DRILL" : "START_RECOVERY", drill, tags, n, &j)) {
    rc = orch_sim_drs_internal(aerr);
    goto out;
  }
  size_t ji = env->jobs.n; /* the position add_job will give it */
  for (i = 0; i < n; i++) {
    struct orch_sim_pserver *p = &j->ps[i];
    struct orch_sim_server *s = ORCH_SIM_SERVER(env, idx[i]);
    const char *snap = orch_sim_str(json_array_get(list, i), "recoverySnapshotID");
    struct orch_sim_timing *t = &w->timing;
    p->server = idx[i];
    p->instance = -1;
    orch_sim_rng_hex_id(&w->rng, p->conversion_id, sizeof p->conversion_id, "i-", 17);
    p->t_snap_start = j->started_ms + (int64_t)(orch_sim_rng_next(&w->rng) % 2000);
    p->new_snapshot = snap == NULL;
    p->t_snap_end = p->t_snap_start + (p->new_snapshot ? orch_sim_dist_sample(&t->snapshot, &w->rng) : 1000);
    p->t_conv_start = p->t_snap_end;
    p->t_conv_end = p->t_conv_start + orch_sim_dist_sample(&t->conversion, &w->rng);
    p->t_launch_start = p->t_conv_end;
    p->t_done = p->t_launch_start + orch_sim_dist_sample(&t->launch, &w->rng);
    const struct orch_sim_launch_rule *rule = launch_rule(c, s);
    if (!ready_for_recovery(s)) {
      p->failed = p->fail_at_snapshot = true;
      p->t_done = p->t_snap_end;
      snprintf(msg, sizeof msg, "Source server %s is not ready for recovery (data replication state %s)", s->id,
               s->repl_state);
      p->fail_reason = orch_strdup(msg);
    } else if (rule && orch_sim_rng_chance(&w->rng, rule->probability)) {
      p->failed = true;
      p->fail_reason = orch_strdup(rule->reason);
    }
    if (p->failed && !p->fail_reason) {
      free_unadded_job(j);
      j = NULL;
      rc = orch_sim_drs_internal(aerr);
      goto out;
    }
  }
  if ((rc = orch_sim_drs_add_job(c, j, aerr))) {
    j = NULL;
    goto out;
  }
  for (i = 0; i < n; i++) {
    struct orch_sim_pserver *p = &j->ps[i];
    struct orch_sim_server *s = ORCH_SIM_SERVER(env, p->server);
    s->last_job = (int)ji;
    if (p->new_snapshot && !p->fail_at_snapshot && orch_sim_server_add_snapshot(w, s, p->t_snap_end, NULL)) {
      rc = orch_sim_drs_internal(aerr);
      goto out;
    }
    if (!p->failed && launch_instance(c, j, p, ji)) {
      rc = orch_sim_drs_internal(aerr);
      goto out;
    }
  }
  *out = json_pack("{s:o}", "job", orch_sim_drs_job_json(c, j));
  if (!*out) rc = orch_sim_drs_internal(aerr);
out:
  if (rc == ORCH_EAWS) err_code = aerr->code;
  orch_sim_calls_recovery(&w->calls, c->now, w->accounts[env->account].id, env->region, rc == 0 && j ? j->id : NULL,
                          rc ? (err_code ? err_code : "InternalServerException") : NULL, drill, tags, ids);
  json_decref(ids);
  orch_free(idx);
  return rc;
}

/* ---- DescribeJobs, DescribeJobLogItems ---- */

static int drs_describe_jobs(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  json_t *filters = json_object_get(in, "filters");
  json_t *ids = json_object_get(filters, "jobIDs");
  const char *from = orch_sim_str(filters, "fromDate"), *to = orch_sim_str(filters, "toDate");
  int64_t from_ms = INT64_MIN, to_ms = INT64_MAX;
  size_t start, max;
  int rc = orch_sim_drs_page_bounds(in, &start, &max, aerr);
  if (rc) return rc;
  if (from && orch_time_parse_iso8601(from, &from_ms)) return orch_sim_drs_validation(c, aerr, "filters.fromDate", "Invalid fromDate");
  if (to && orch_time_parse_iso8601(to, &to_ms)) return orch_sim_drs_validation(c, aerr, "filters.toDate", "Invalid toDate");
  json_t *items = json_array();
  json_t *res = json_pack("{s:o}", "items", items);
  int *found = NULL;
  if (!res) return orch_sim_drs_internal(aerr);
  /* The jobs to list, newest first: those of the ids asked for (`found`), else all of them. */
  size_t nfound = c->env->jobs.n;
  if (ids && json_array_size(ids) > 0) {
    size_t nids = json_array_size(ids);
    nfound = 0;
    found = orch_malloc(nids * sizeof *found);
    if (!found) goto fail;
    for (size_t k = 0; k < nids; k++) {
      const char *id = json_string_value(json_array_get(ids, k));
      int ji = id ? orch_sim_idx_get(c->env->job_idx, id) : -1;
      bool dup = false;
      for (size_t d = 0; d < nfound && !dup; d++) dup = found[d] == ji;
      if (ji >= 0 && !dup) found[nfound++] = ji;
    }
    /* insertion sort descending by position (= creation order) */
    for (size_t a = 1; a < nfound; a++)
      for (size_t b = a; b > 0 && found[b - 1] < found[b]; b--) {
        int t = found[b];
        found[b] = found[b - 1];
        found[b - 1] = t;
      }
  }
  struct orch_sim_page pg = {.res = res, .items = items, .token_key = "nextToken", .start = start, .max = max};
  for (size_t k = 0; k < nfound && !pg.done; k++) {
    const struct orch_sim_job *j = ORCH_SIM_JOB(c->env, found ? (size_t)found[k] : nfound - 1 - k);
    if (j->created_ms < from_ms || j->created_ms > to_ms || j->listed_ms > c->now) continue;
    if (orch_sim_page_take(&pg)) orch_sim_page_add(&pg, orch_sim_drs_job_json(c, j));
  }
  orch_free(found);
  return orch_sim_page_end(&pg, out) ? orch_sim_drs_internal(aerr) : 0;
fail:
  json_decref(res);
  return orch_sim_drs_internal(aerr);
}

struct log_item {
  int64_t t;
  size_t seq;
  json_t *j;
};

static int log_cmp(const void *a, const void *b) {
  const struct log_item *x = a, *y = b;
  if (x->t != y->t) return x->t < y->t ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int log_add(struct log_item *items, size_t *n, int64_t now, int64_t t, const char *event, json_t *data) {
  if (t > now) {
    json_decref(data);
    return 0;
  }
  json_t *j = json_pack("{s:o, s:s}", "logDateTime", orch_sim_time_json(t), "event", event);
  if (!j) {
    json_decref(data);
    return ORCH_ENOMEM;
  }
  if (data) json_object_set_new(j, "eventData", data);
  items[*n].t = t;
  items[*n].seq = *n;
  items[*n].j = j;
  (*n)++;
  return 0;
}

static int drs_describe_job_log_items(struct orch_sim_call *c, const json_t *in, json_t **out,
                                      struct orch_aws_error *aerr) {
  const char *id = orch_sim_str(in, "jobID");
  size_t start, max, n = 0;
  int rc = orch_sim_drs_page_bounds(in, &start, &max, aerr);
  if (rc) return rc;
  int ji = id ? orch_sim_idx_get(c->env->job_idx, id) : -1;
  if (ji < 0) return orch_sim_drs_validation(c, aerr, "jobID", "Job not found");
  const struct orch_sim_job *j = ORCH_SIM_JOB(c->env, ji);
  struct log_item *items = orch_calloc(j->nps * 7 + 2, sizeof *items);
  json_t *arr = json_array(), *res = json_pack("{s:o}", "items", arr);
  if (!items || !res) goto fail;
  int e = log_add(items, &n, c->now, j->started_ms, "JOB_START", NULL);
  for (size_t i = 0; i < j->nps && !e; i++) {
    const struct orch_sim_pserver *p = &j->ps[i];
    const char *sid = ORCH_SIM_SERVER(c->env, p->server)->id;
#define DATA() json_pack("{s:s}", "sourceServerID", sid)
    if (j->type == ORCH_SIM_JOB_TERMINATE) {
      e = log_add(items, &n, c->now, j->started_ms, "CLEANUP_START", DATA());
      if (!e) e = log_add(items, &n, c->now, p->t_done, "CLEANUP_END", DATA());
      continue;
    }
    if (p->new_snapshot) {
      e = log_add(items, &n, c->now, p->t_snap_start, "SNAPSHOT_START", DATA());
      if (!e && p->fail_at_snapshot)
        e = log_add(items, &n, c->now, p->t_snap_end, "SNAPSHOT_FAIL",
                    json_pack("{s:s, s:s}", "sourceServerID", sid, "rawError", p->fail_reason));
      else if (!e) e = log_add(items, &n, c->now, p->t_snap_end, "SNAPSHOT_END", DATA());
    } else {
      e = log_add(items, &n, c->now, p->t_snap_start, "USING_PREVIOUS_SNAPSHOT", DATA());
    }
    if (p->fail_at_snapshot || e) continue;
    e = log_add(items, &n, c->now, p->t_conv_start, "CONVERSION_START",
                json_pack("{s:s, s:s}", "sourceServerID", sid, "conversionServerID", p->conversion_id));
    if (!e) e = log_add(items, &n, c->now, p->t_conv_end, "CONVERSION_END", DATA());
    if (!e) {
      json_t *d = DATA();
      if (d && p->instance >= 0)
        json_object_set_new(d, "targetInstanceID", json_string(ORCH_SIM_INSTANCE(c->env, p->instance)->id));
      e = log_add(items, &n, c->now, p->t_launch_start, "LAUNCH_START", d);
    }
    if (!e && p->failed)
      e = log_add(items, &n, c->now, p->t_done, "LAUNCH_FAILED",
                  json_pack("{s:s, s:s}", "sourceServerID", sid, "rawError", p->fail_reason));
#undef DATA
  }
  if (!e) e = log_add(items, &n, c->now, j->end_ms, "JOB_END", NULL);
  if (e) goto fail;
  qsort(items, n, sizeof *items, log_cmp);
  for (size_t i = 0; i < n; i++) {
    if (i >= start && json_array_size(arr) < max) {
      json_array_append(arr, items[i].j);
    } else if (i >= start && !json_object_get(res, "nextToken")) {
      if (orch_sim_page_token(res, "nextToken", start + max)) goto fail;
    }
  }
  for (size_t i = 0; i < n; i++) json_decref(items[i].j);
  orch_free(items);
  *out = res;
  return 0;
fail:
  if (items)
    for (size_t i = 0; i < n; i++) json_decref(items[i].j);
  orch_free(items);
  json_decref(res);
  return orch_sim_drs_internal(aerr);
}

const struct orch_sim_op orch_sim_drs_ops[] = {
    {"DescribeSourceServers", drs_describe_source_servers},
    {"StartRecovery", drs_start_recovery},
    {"DescribeJobs", drs_describe_jobs},
    {"DescribeJobLogItems", drs_describe_job_log_items},
    {NULL, NULL},
};
