/* orch_sim_world: the state's lifetime, lookups, state-at-time functions and the /_sim/state dump.
 * Uses orch_sim_rng, orch_sim_faults, jansson, orch_alloc, orch_time. */
#include "sim/orch_sim_world.h"

#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_time.h"

int orch_sim_vec_push(struct orch_sim_vec *v, void *item) {
  if (v->n == v->cap) {
    size_t cap = v->cap ? v->cap * 2 : 16;
    void **items = orch_realloc(v->items, cap * sizeof *items);
    if (!items) return ORCH_ENOMEM;
    v->items = items;
    v->cap = cap;
  }
  v->items[v->n++] = item;
  return 0;
}

int orch_sim_vec_push_indexed(struct orch_sim_vec *v, json_t *idx, const char *id, void *item) {
  if (orch_sim_vec_push(v, item)) return ORCH_ENOMEM;
  if (orch_sim_idx_put(idx, id, v->n - 1)) {
    v->n--;
    return ORCH_ENOMEM;
  }
  return 0;
}

int orch_sim_idx_get(const json_t *idx, const char *id) {
  json_t *v = json_object_get(idx, id);
  return v ? (int)json_integer_value(v) : -1;
}

int orch_sim_idx_put(json_t *idx, const char *id, size_t pos) {
  return json_object_set_new(idx, id, json_integer((json_int_t)pos)) ? ORCH_ENOMEM : 0;
}

static const struct {
  const char *key, *code, *name;
  double value;
  bool adjustable;
} quota_defaults[ORCH_SIM_NQUOTAS] = {
    /* AWS's Service Quotas codes and names for service code "drs", with AWS's default values. */
    [ORCH_SIM_Q_SERVERS_PER_JOB] = {"servers_per_job", "L-B827C881", "Max source servers in a single Job", 100, false},
    [ORCH_SIM_Q_CONCURRENT_JOBS] = {"concurrent_jobs", "L-D88FAC3A", "Concurrent jobs in progress", 20, false},
    [ORCH_SIM_Q_SERVERS_IN_ACTIVE_JOBS] = {"servers_in_active_jobs", "L-05AFA8C6", "Max source servers in all Jobs", 500,
                                           false},
    [ORCH_SIM_Q_REPLICATING_SERVERS] = {"replicating_servers", "L-C1D14A2B",
                                        "Max Total replicating source servers Per AWS Account", 300, true},
    [ORCH_SIM_Q_SOURCE_SERVERS] = {"source_servers", "L-E28BE5E0", "Max Total source servers Per AWS Account", 4000,
                                   true},
    [ORCH_SIM_Q_JOBS_PER_SERVER] = {"concurrent_jobs_per_server", "L-DD6D028C", "Max concurrent Jobs per source server",
                                    1, false},
};

int orch_sim_world_alloc(uint64_t seed, int64_t start_ms, struct orch_sim_world **out) {
  struct orch_sim_world *w = orch_calloc(1, sizeof *w);
  if (!w) return ORCH_ENOMEM;
  orch_sim_rng_seed(&w->rng, seed);
  orch_sim_rng_seed(&w->fault_rng, seed ^ 0x5eedfa17c0ffeeULL);
  w->start_ms = start_ms;
  w->cred_idx = json_object();
  if (!w->cred_idx || orch_sim_calls_init(&w->calls)) goto fail;
  struct orch_sim_timing *t = &w->timing;
  t->job_start = orch_sim_dist_uniform(5000, 15000);
  t->snapshot = orch_sim_dist_uniform(30000, 90000);
  t->conversion = orch_sim_dist_uniform(120000, 240000);
  t->launch = orch_sim_dist_uniform(30000, 60000);
  t->boot = orch_sim_dist_uniform(45000, 90000);
  t->ssm_ready = orch_sim_dist_uniform(30000, 120000);
  t->terminate = orch_sim_dist_uniform(30000, 60000);
  t->stop = orch_sim_dist_uniform(20000, 40000);
  t->command_start = orch_sim_dist_uniform(1000, 3000);
  t->command_run = orch_sim_dist_uniform(5000, 20000);
  t->automation = orch_sim_dist_uniform(30000, 90000);
  t->invalidation = orch_sim_dist_uniform(30000, 120000); /* CloudFront: InProgress until Completed */
  for (int i = 0; i < ORCH_SIM_NQUOTAS; i++) {
    w->quotas[i].key = quota_defaults[i].key;
    snprintf(w->quotas[i].code, sizeof w->quotas[i].code, "%s", quota_defaults[i].code);
    w->quotas[i].name = quota_defaults[i].name;
    w->quotas[i].value = quota_defaults[i].value;
    w->quotas[i].adjustable = quota_defaults[i].adjustable;
  }
  snprintf(w->name, sizeof w->name, "unnamed");
  *out = w;
  return 0;
fail:
  orch_sim_world_free(w);
  return ORCH_ENOMEM;
}

void orch_sim_server_free(struct orch_sim_server *s) {
  if (!s) return;
  orch_free(s->hostname);
  orch_free(s->fqdn);
  orch_free(s->os);
  json_decref(s->tags);
  orch_free(s->snaps);
  orch_free(s);
}

static void job_free(struct orch_sim_job *j) {
  if (!j) return;
  for (size_t i = 0; i < j->nps; i++) orch_free(j->ps[i].fail_reason);
  orch_free(j->ps);
  json_decref(j->tags);
  orch_free(j);
}

static void lt_free(struct orch_sim_lt *lt) {
  if (!lt) return;
  for (size_t i = 0; i < lt->nversions; i++) {
    json_decref(lt->versions[i].data);
    orch_free(lt->versions[i].description);
  }
  orch_free(lt->versions);
  orch_free(lt);
}

static void command_free(struct orch_sim_command *c) {
  if (!c) return;
  for (size_t i = 0; i < c->ninv; i++) orch_free(c->inv[i].output);
  orch_free(c->inv);
  orch_free(c->document);
  orch_free(c->comment);
  json_decref(c->params);
  orch_free(c);
}

static void automation_free(struct orch_sim_automation *a) {
  if (!a) return;
  orch_free(a->document);
  orch_free(a->output);
  json_decref(a->params);
  orch_free(a);
}

static void instance_free(struct orch_sim_instance *in) {
  if (!in) return;
  json_decref(in->tags);
  json_decref(in->rtags);
  orch_free(in);
}

static void env_free(struct orch_sim_env *e) {
  if (!e) return;
  for (size_t i = 0; i < e->servers.n; i++) orch_sim_server_free(e->servers.items[i]);
  for (size_t i = 0; i < e->jobs.n; i++) job_free(e->jobs.items[i]);
  for (size_t i = 0; i < e->instances.n; i++) instance_free(e->instances.items[i]);
  for (size_t i = 0; i < e->lts.n; i++) lt_free(e->lts.items[i]);
  for (size_t i = 0; i < e->commands.n; i++) command_free(e->commands.items[i]);
  for (size_t i = 0; i < e->automations.n; i++) automation_free(e->automations.items[i]);
  orch_free(e->servers.items);
  orch_free(e->jobs.items);
  orch_free(e->instances.items);
  orch_free(e->lts.items);
  orch_free(e->commands.items);
  orch_free(e->automations.items);
  json_decref(e->server_idx);
  json_decref(e->job_idx);
  json_decref(e->instance_idx);
  json_decref(e->lt_idx);
  json_decref(e->command_idx);
  json_decref(e->automation_idx);
  json_decref(e->topics);
  json_decref(e->sns);
  orch_free(e->subnets);
  orch_free(e->sgs);
  for (size_t i = 0; i < e->ndocs; i++) orch_free(e->docs[i].description);
  orch_free(e->docs);
  for (size_t i = 0; i < e->buckets.n; i++) orch_sim_bucket_free(e->buckets.items[i]);
  orch_free(e->buckets.items);
  orch_free(e);
}

void orch_sim_bucket_free(struct orch_sim_bucket *b) {
  if (!b) return;
  for (size_t i = 0; i < b->versions.n; i++) {
    struct orch_sim_s3_version *v = b->versions.items[i];
    orch_free(v->key);
    orch_free(v);
  }
  orch_free(b->versions.items);
  orch_free(b);
}

void orch_sim_world_free(struct orch_sim_world *w) {
  if (!w) return;
  for (size_t i = 0; i < w->naccounts; i++) {
    orch_free(w->accounts[i].name);
    for (size_t r = 0; r < w->accounts[i].nroles; r++) {
      orch_free(w->accounts[i].roles[r].name);
      orch_free(w->accounts[i].roles[r].external_id);
    }
    orch_free(w->accounts[i].roles);
    json_decref(w->accounts[i].distributions);
  }
  for (size_t i = 0; i < w->invalidations.n; i++) {
    struct orch_sim_invalidation *inv = w->invalidations.items[i];
    orch_free(inv->caller_reference);
    json_decref(inv->paths);
    orch_free(inv);
  }
  orch_free(w->invalidations.items);
  orch_free(w->accounts);
  for (size_t i = 0; i < w->creds.n; i++) {
    struct orch_sim_credential *c = w->creds.items[i];
    orch_free(c->access_key_id);
    orch_free(c->secret);
    orch_free(c->session_token);
    orch_free(c->arn);
    orch_free(c->user_id);
    orch_free(c);
  }
  orch_free(w->creds.items);
  json_decref(w->cred_idx);
  for (size_t i = 0; i < w->envs.n; i++) env_free(w->envs.items[i]);
  orch_free(w->envs.items);
  orch_sim_faults_free(&w->faults);
  orch_sim_calls_free(&w->calls);
  orch_free(w);
}

const struct orch_sim_quota *orch_sim_world_quota(const struct orch_sim_world *w, const char *code) {
  for (int i = 0; code && i < ORCH_SIM_NQUOTAS; i++)
    if (strcmp(w->quotas[i].code, code) == 0) return &w->quotas[i];
  return NULL;
}

int orch_sim_world_account(const struct orch_sim_world *w, const char *account_id) {
  for (size_t i = 0; i < w->naccounts; i++)
    if (strcmp(w->accounts[i].id, account_id) == 0) return (int)i;
  return -1;
}

const struct orch_sim_credential *orch_sim_world_credential(const struct orch_sim_world *w, const char *akid) {
  int i = orch_sim_idx_get(w->cred_idx, akid);
  return i < 0 ? NULL : w->creds.items[i];
}

int orch_sim_world_add_credential(struct orch_sim_world *w, int account, const char *akid, const char *secret,
                                  const char *token, int64_t expires_ms, const char *arn, const char *user_id) {
  struct orch_sim_credential *c = orch_calloc(1, sizeof *c);
  if (!c) return ORCH_ENOMEM;
  c->access_key_id = orch_strdup(akid);
  c->secret = orch_strdup(secret);
  c->session_token = token ? orch_strdup(token) : NULL;
  c->arn = orch_strdup(arn);
  c->user_id = orch_strdup(user_id);
  c->account = account;
  c->expires_ms = expires_ms;
  if (!c->access_key_id || !c->secret || (token && !c->session_token) || !c->arn || !c->user_id ||
      orch_sim_vec_push(&w->creds, c)) {
    orch_free(c->access_key_id);
    orch_free(c->secret);
    orch_free(c->session_token);
    orch_free(c->arn);
    orch_free(c->user_id);
    orch_free(c);
    return ORCH_ENOMEM;
  }
  if (orch_sim_idx_put(w->cred_idx, akid, w->creds.n - 1)) return ORCH_ENOMEM; /* stays owned by the vec */
  return 0;
}

const char *orch_sim_partition(const char *region) {
  if (strncmp(region, "cn-", 3) == 0) return "aws-cn";
  if (strncmp(region, "us-gov-", 7) == 0) return "aws-us-gov";
  return "aws";
}

struct orch_sim_env *orch_sim_world_find_env(const struct orch_sim_world *w, int account, const char *region) {
  for (size_t i = 0; i < w->envs.n; i++) {
    struct orch_sim_env *e = w->envs.items[i];
    if (e->account == account && strcmp(e->region, region) == 0) return e;
  }
  return NULL;
}

struct orch_sim_env *orch_sim_world_env(struct orch_sim_world *w, int account, const char *region) {
  struct orch_sim_env *e = orch_sim_world_find_env(w, account, region);
  if (e) return e;
  e = orch_calloc(1, sizeof *e);
  if (!e) return NULL;
  e->account = account;
  snprintf(e->region, sizeof e->region, "%s", region);
  snprintf(e->partition, sizeof e->partition, "%s", orch_sim_partition(region));
  e->server_idx = json_object();
  e->job_idx = json_object();
  e->instance_idx = json_object();
  e->lt_idx = json_object();
  e->command_idx = json_object();
  e->automation_idx = json_object();
  e->topics = json_array();
  e->sns = json_array();
  e->subnets = orch_calloc(3, sizeof *e->subnets);
  e->sgs = orch_calloc(1, sizeof *e->sgs);
  if (!e->server_idx || !e->job_idx || !e->instance_idx || !e->lt_idx || !e->command_idx || !e->automation_idx ||
      !e->topics || !e->sns || !e->subnets || !e->sgs || orch_sim_vec_push(&w->envs, e)) {
    env_free(e);
    return NULL;
  }
  /* A default VPC with one subnet per zone and a default security group; a scenario may replace them. */
  orch_sim_rng_hex_id(&w->rng, e->vpc, sizeof e->vpc, "vpc-", 17);
  for (int i = 0; i < 3; i++) {
    struct orch_sim_subnet *sn = &e->subnets[i];
    orch_sim_rng_hex_id(&w->rng, sn->id, sizeof sn->id, "subnet-", 17);
    snprintf(sn->vpc, sizeof sn->vpc, "%s", e->vpc);
    snprintf(sn->az, sizeof sn->az, "%s%c", region, 'a' + i);
    sn->base = (10u << 24) | ((unsigned)i << 8);
    sn->prefix = 24;
    sn->next = 10;
  }
  e->nsubnets = 3;
  orch_sim_rng_hex_id(&w->rng, e->sgs[0].id, sizeof e->sgs[0].id, "sg-", 17);
  snprintf(e->sgs[0].name, sizeof e->sgs[0].name, "default");
  snprintf(e->sgs[0].vpc, sizeof e->sgs[0].vpc, "%s", e->vpc);
  e->nsgs = 1;
  return e;
}

void orch_sim_arn(char *out, size_t outsz, const struct orch_sim_world *w, const struct orch_sim_env *env,
                  const char *service, const char *resource) {
  snprintf(out, outsz, "arn:%s:%s:%s:%s:%s", env->partition, service, env->region, w->accounts[env->account].id,
           resource);
}

void orch_sim_iso_duration(char out[32], int64_t ms) {
  int64_t s = ms / 1000;
  int64_t h = s / 3600, m = (s / 60) % 60, sec = s % 60;
  if (s == 0) {
    snprintf(out, 32, "PT0S");
    return;
  }
  int n = snprintf(out, 32, "PT");
  if (h) n += snprintf(out + n, 32 - (size_t)n, "%lldH", (long long)h);
  if (m) n += snprintf(out + n, 32 - (size_t)n, "%lldM", (long long)m);
  if (sec) snprintf(out + n, 32 - (size_t)n, "%lldS", (long long)sec);
}

json_t *orch_sim_tags_list(const json_t *tags) {
  json_t *arr = json_array();
  const char *k;
  json_t *v;
  if (!arr) return NULL;
  json_object_foreach(orch_sim_json_mut(tags), k, v) {
    if (json_array_append_new(arr, json_pack("{s:s, s:O}", "Key", k, "Value", v))) {
      json_decref(arr);
      return NULL;
    }
  }
  return arr;
}

int orch_sim_env_subnet(const struct orch_sim_env *env, const char *subnet_id) {
  for (size_t i = 0; i < env->nsubnets; i++)
    if (strcmp(env->subnets[i].id, subnet_id) == 0) return (int)i;
  return -1;
}

void orch_sim_subnet_next_ip(struct orch_sim_subnet *sn, char ip[16]) {
  uint32_t hosts = sn->prefix >= 31 ? 1 : (1u << (32 - sn->prefix)) - 5; /* AWS reserves 5 per subnet */
  uint32_t off = 4 + (sn->next++ % (hosts ? hosts : 1));
  uint32_t a = sn->base + off;
  snprintf(ip, 16, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

int orch_sim_server_add_snapshot(struct orch_sim_world *w, struct orch_sim_server *s, int64_t at_ms, char id_out[24]) {
  if (s->nsnaps == s->capsnaps) {
    size_t cap = s->capsnaps ? s->capsnaps * 2 : 8;
    struct orch_sim_snapshot *n = orch_realloc(s->snaps, cap * sizeof *n);
    if (!n) return ORCH_ENOMEM;
    s->snaps = n;
    s->capsnaps = cap;
  }
  struct orch_sim_snapshot *p = &s->snaps[s->nsnaps++];
  orch_sim_rng_hex_id(&w->rng, p->id, sizeof p->id, "pit-", 17);
  p->at_ms = at_ms;
  if (id_out) memcpy(id_out, p->id, sizeof p->id);
  return 0;
}

int orch_sim_env_add_server(struct orch_sim_world *w, struct orch_sim_env *env, struct orch_sim_server *s) {
  char res[64];
  if (!s->id[0]) orch_sim_rng_hex_id(&w->rng, s->id, sizeof s->id, "s-", 17);
  snprintf(res, sizeof res, "source-server/%s", s->id);
  orch_sim_arn(s->arn, sizeof s->arn, w, env, "drs", res);
  if (orch_sim_vec_push_indexed(&env->servers, env->server_idx, s->id, s)) return ORCH_ENOMEM;
  return 0;
}

int orch_sim_env_new_lt(struct orch_sim_world *w, struct orch_sim_env *env, const char *name, json_t *data,
                        int64_t now, int *pos) {
  struct orch_sim_lt *lt = orch_calloc(1, sizeof *lt);
  if (!lt) return ORCH_ENOMEM;
  lt->versions = orch_calloc(1, sizeof *lt->versions);
  if (!lt->versions) goto fail;
  orch_sim_rng_hex_id(&w->rng, lt->id, sizeof lt->id, "lt-", 17);
  snprintf(lt->name, sizeof lt->name, "%s", name);
  lt->default_version = 1;
  lt->created_ms = now;
  lt->versions[0].number = 1;
  lt->versions[0].created_ms = now;
  lt->versions[0].data = json_incref(data);
  lt->nversions = 1;
  if (orch_sim_vec_push_indexed(&env->lts, env->lt_idx, lt->id, lt)) goto fail;
  *pos = (int)env->lts.n - 1;
  return 0;
fail:
  lt_free(lt);
  return ORCH_ENOMEM;
}

enum orch_sim_job_status orch_sim_job_status(const struct orch_sim_job *j, int64_t now) {
  if (now < j->started_ms) return ORCH_SIM_JOB_PENDING;
  if (now < j->end_ms) return ORCH_SIM_JOB_STARTED;
  return ORCH_SIM_JOB_COMPLETED;
}

bool orch_sim_job_active(const struct orch_sim_job *j, int64_t now) { return now < j->end_ms; }

const char *orch_sim_pserver_status(const struct orch_sim_job *j, const struct orch_sim_pserver *p, int64_t now) {
  if (j->type == ORCH_SIM_JOB_TERMINATE) {
    if (now < j->started_ms) return "PENDING";
    return now < p->t_done ? "IN_PROGRESS" : "TERMINATED";
  }
  if (now < p->t_snap_start) return "PENDING";
  if (now < p->t_done) return "IN_PROGRESS";
  return p->failed ? "FAILED" : "LAUNCHED";
}

enum orch_sim_ec2_state orch_sim_instance_state(const struct orch_sim_instance *in, int64_t now) {
  if (now < in->t_created) return ORCH_SIM_EC2_NONE;
  if (now >= in->t_terminated) return ORCH_SIM_EC2_TERMINATED;
  if (now >= in->t_shutting_down) return ORCH_SIM_EC2_SHUTTING_DOWN;
  if (now >= in->t_stopped) return ORCH_SIM_EC2_STOPPED;
  if (now >= in->t_stopping) return ORCH_SIM_EC2_STOPPING;
  if (now >= in->t_running) return ORCH_SIM_EC2_RUNNING;
  return ORCH_SIM_EC2_PENDING;
}

const char *orch_sim_ec2_state_name(enum orch_sim_ec2_state s) {
  static const char *const names[] = {"", "pending", "running", "stopping", "stopped", "shutting-down", "terminated"};
  return names[s];
}

int orch_sim_ec2_state_code(enum orch_sim_ec2_state s) {
  static const int codes[] = {0, 0, 16, 64, 80, 32, 48};
  return codes[s];
}

bool orch_sim_instance_recovery_visible(const struct orch_sim_instance *in, int64_t now) {
  enum orch_sim_ec2_state st = orch_sim_instance_state(in, now);
  return in->recovery && !in->disconnected && st != ORCH_SIM_EC2_NONE && st != ORCH_SIM_EC2_TERMINATED;
}

bool orch_sim_instance_managed(const struct orch_sim_env *env, const struct orch_sim_instance *in, int64_t now) {
  if (in->server >= 0 && !ORCH_SIM_SERVER(env, in->server)->ssm_agent) return false;
  return orch_sim_instance_state(in, now) == ORCH_SIM_EC2_RUNNING && now >= in->t_ssm_online;
}

static json_t *iso_or_null(int64_t ms) {
  char t[ORCH_TIME_ISO_MAX];
  if (ms == ORCH_SIM_NEVER) return json_null();
  orch_time_iso8601(t, ms);
  return json_string(t);
}

static json_t *env_state_json(const struct orch_sim_world *w, const struct orch_sim_env *e, int64_t now) {
  json_t *servers = json_array(), *jobs = json_array(), *instances = json_array(), *commands = json_array();
  json_t *out = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:I}", "account", w->accounts[e->account].id, "region",
                          e->region, "servers", servers, "jobs", jobs, "instances", instances, "commands", commands,
                          "snsMessages", (json_int_t)json_array_size(e->sns));
  if (!out) return NULL;
  for (size_t i = 0; i < e->servers.n; i++) {
    const struct orch_sim_server *s = ORCH_SIM_SERVER(e, i);
    const struct orch_sim_instance *ri = s->last_instance >= 0 ? ORCH_SIM_INSTANCE(e, s->last_instance) : NULL;
    json_array_append_new(
        servers, json_pack("{s:s, s:s, s:O, s:s, s:s?, s:s?}", "sourceServerID", s->id, "hostname", s->hostname,
                           "tags", s->tags, "replicationState", s->repl_state, "lastJobID",
                           s->last_job >= 0 ? ORCH_SIM_JOB(e, s->last_job)->id : NULL, "recoveryInstanceID",
                           ri && orch_sim_instance_recovery_visible(ri, now) ? ri->id : NULL));
  }
  for (size_t i = 0; i < e->jobs.n; i++) {
    const struct orch_sim_job *j = ORCH_SIM_JOB(e, i);
    static const char *const st[] = {"PENDING", "STARTED", "COMPLETED"};
    json_t *ps = json_array();
    for (size_t k = 0; k < j->nps; k++) {
      const struct orch_sim_pserver *p = &j->ps[k];
      json_array_append_new(ps, json_pack("{s:s, s:s, s:s?}", "sourceServerID", ORCH_SIM_SERVER(e, p->server)->id,
                                           "launchStatus", orch_sim_pserver_status(j, p, now), "recoveryInstanceID",
                                           p->instance >= 0 ? ORCH_SIM_INSTANCE(e, p->instance)->id : NULL));
    }
    json_array_append_new(jobs, json_pack("{s:s, s:s, s:b, s:s, s:O, s:o, s:o, s:o, s:o}", "jobID", j->id, "type",
                                          j->type == ORCH_SIM_JOB_LAUNCH ? "LAUNCH" : "TERMINATE", "isDrill", j->drill,
                                          "status", st[orch_sim_job_status(j, now)], "tags", j->tags, "created",
                                          iso_or_null(j->created_ms), "listed", iso_or_null(j->listed_ms), "ends",
                                          iso_or_null(j->end_ms), "participatingServers", ps));
  }
  for (size_t i = 0; i < e->instances.n; i++) {
    const struct orch_sim_instance *in = ORCH_SIM_INSTANCE(e, i);
    enum orch_sim_ec2_state s = orch_sim_instance_state(in, now);
    if (s == ORCH_SIM_EC2_NONE) continue;
    json_array_append_new(instances,
                          json_pack("{s:s, s:s?, s:s, s:s, s:b, s:b, s:b}", "instanceID", in->id, "sourceServerID",
                                    in->server >= 0 ? ORCH_SIM_SERVER(e, in->server)->id : NULL, "state",
                                    orch_sim_ec2_state_name(s), "privateIp", in->ip, "isDrill", in->drill, "managed",
                                    orch_sim_instance_managed(e, in, now), "statusOk",
                                    s == ORCH_SIM_EC2_RUNNING && now >= in->t_status_ok));
  }
  for (size_t i = 0; i < e->commands.n; i++) {
    const struct orch_sim_command *c = ORCH_SIM_COMMAND(e, i);
    json_t *inv = json_array();
    for (size_t k = 0; k < c->ninv; k++) {
      const struct orch_sim_invocation *v = &c->inv[k];
      const char *st = now < v->t_progress ? "Pending" : now < v->t_done ? "InProgress" : v->status;
      json_array_append_new(inv, json_pack("{s:s, s:s}", "instanceID", ORCH_SIM_INSTANCE(e, v->instance)->id,
                                           "status", st));
    }
    json_array_append_new(commands, json_pack("{s:s, s:s, s:o}", "commandID", c->id, "document", c->document,
                                              "invocations", inv));
  }
  return out;
}

json_t *orch_sim_world_state_json(const struct orch_sim_world *w, int64_t now) {
  char t[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(t, now);
  json_t *envs = json_array();
  json_t *out = json_pack("{s:s, s:s, s:o}", "scenario", w->name, "now", t, "regions", envs);
  if (!out) return NULL;
  for (size_t i = 0; i < w->envs.n; i++) {
    json_t *e = env_state_json(w, w->envs.items[i], now);
    if (!e || json_array_append_new(envs, e)) {
      json_decref(out);
      return NULL;
    }
  }
  return out;
}
