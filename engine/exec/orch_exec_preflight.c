/* orch_exec_preflight: the preflight effect. Before any launch (and as a dry run on its own), resolve
 * every wave's servers (explicit ids, protection groups with their launch overrides, tag queries through
 * DescribeSourceServers) and check them: they exist, replicate healthily, lag within the plan's RPO, are
 * in no active DRS job, have a launch configuration, appear in one wave only, have no live recovery
 * instance from a recovery when this is a drill (warned for a recovery), and fit the DRS quotas. A read
 * that fails for a passing reason (throttling, 5xx) is reported as "unreadable", so decide asks again
 * instead of judging. Runs on an I/O thread or inline; decide adds the cross-execution check.
 * Uses orch_exec_int, orch_store, orch_log. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_log.h"
#include "exec/orch_exec_int.h"
#include "core/orch_str.h"

struct pf {
  struct orch_exec_engine *eng;
  json_t *checks;   /* [{name, ok, detail, wave?, server?, warning?}] */
  json_t *servers;  /* [{id, wave, hostname, account, region, group?, launch?}] */
  json_t *fleets;   /* {"account/region": [source servers]} */
  bool ok;
  char unreadable[600]; /* the first read that failed for a passing reason */
};

static void vcheck(struct pf *pf, const char *name, bool ok, bool warning, const char *wave, const char *server,
                   const char *fmt, va_list ap) ORCH_PRINTF(7, 0);
static void vcheck(struct pf *pf, const char *name, bool ok, bool warning, const char *wave, const char *server,
                   const char *fmt, va_list ap) {
  char detail[600];
  vsnprintf(detail, sizeof detail, fmt, ap);
  if (!ok) pf->ok = false;
  json_t *c = json_pack("{s:s, s:b, s:s, s:s*, s:s*}", "name", name, "ok", ok, "detail", detail, "wave", wave, "server", server);
  if (c && warning) json_object_set_new(c, "warning", json_true());
  if (!c || json_array_append_new(pf->checks, c)) pf->ok = false;
}

static void check(struct pf *pf, const char *name, bool ok, const char *wave, const char *server, const char *fmt, ...)
    ORCH_PRINTF(6, 7);
static void check(struct pf *pf, const char *name, bool ok, const char *wave, const char *server, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vcheck(pf, name, ok, false, wave, server, fmt, ap);
  va_end(ap);
}

static void warn(struct pf *pf, const char *name, const char *wave, const char *server, const char *fmt, ...)
    ORCH_PRINTF(5, 6);
static void warn(struct pf *pf, const char *name, const char *wave, const char *server, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vcheck(pf, name, true, true, wave, server, fmt, ap);
  va_end(ap);
}

/* One call through the engine's AWS interface (its client retries with the standard policy). */
static int call(struct pf *pf, const char *account, const char *region, const char *service, const char *op,
                json_t *input, bool paginate, json_t **out, char *why, size_t whyn) {
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_error err = {0};
  int rc = pf->eng->cfg.aws->call(pf->eng->cfg.aws_ctx, exec_account(pf->eng, account), exec_region(pf->eng, region),
                                  service, op, input, paginate, out, &aerr, &err);
  json_decref(input);
  if (!rc) return 0;
  orch_str_fmt(why, whyn, "%s:%s: %s", service, op, aerr.code[0] ? aerr.message[0] ? aerr.message : aerr.code : err.message);
  bool passing = rc == ORCH_ECONN || rc == ORCH_ETIMEDOUT ||
                 (rc == ORCH_EAWS && (aerr.retryable || aerr.throttling || aerr.http_status >= 500));
  if (passing && !pf->unreadable[0]) orch_str_fmt(pf->unreadable, sizeof pf->unreadable, "%s", why);
  return rc;
}

/* Every source server of an account+region, fetched once per preflight. */
static json_t *fleet(struct pf *pf, const char *account, const char *region, const char *wave) {
  char key[64];
  snprintf(key, sizeof key, "%s/%s", exec_account(pf->eng, account), exec_region(pf->eng, region));
  json_t *f = json_object_get(pf->fleets, key);
  if (f) return f;
  json_t *out = NULL;
  char why[800];
  if (call(pf, account, region, "drs", "DescribeSourceServers", json_pack("{s:{}}", "filters"), true, &out, why, sizeof why)) {
    check(pf, "source servers readable", false, wave, NULL, "%s", why);
    return NULL;
  }
  f = json_incref(json_object_get(out, "items"));
  json_decref(out);
  if (!f || json_object_set_new(pf->fleets, key, f)) return NULL;
  return f;
}

static json_t *find_server(json_t *fl, const char *id) {
  size_t i;
  json_t *s;
  json_array_foreach(fl, i, s) {
    const char *sid = json_string_value(json_object_get(s, "sourceServerID"));
    if (sid && strcmp(sid, id) == 0) return s;
  }
  return NULL;
}

static bool tags_match(const json_t *server, const json_t *want) {
  const json_t *have = json_object_get(server, "tags");
  const char *k;
  json_t *v;
  json_object_foreach((json_t *)(uintptr_t)want, k, v) {
    const char *hv = json_string_value(json_object_get(have, k));
    if (!hv || !json_is_string(v) || strcmp(hv, json_string_value(v)) != 0) return false;
  }
  return true;
}

static void add_server(struct pf *pf, const char *wave, json_t *src, const char *account, const char *region,
                       const struct orch_store_group *grp) {
  const char *id = json_string_value(json_object_get(src, "sourceServerID"));
  const char *host = json_string_value(json_object_get(
      json_object_get(json_object_get(src, "sourceProperties"), "identificationHints"), "hostname"));
  size_t i;
  json_t *s;
  json_array_foreach(pf->servers, i, s) {
    if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0) {
      check(pf, "one wave per server", false, wave, id, "server %s is also in wave %s", id,
            json_string_value(json_object_get(s, "wave")));
      return;
    }
  }
  json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s*, s:O*}", "id", id, "wave", wave, "hostname", host ? host : "",
                          "account", exec_account(pf->eng, account), "region", exec_region(pf->eng, region), "group",
                          grp ? grp->name : NULL, "launch", grp ? grp->launch_overrides : NULL);
  if (!rec || json_array_append_new(pf->servers, rec)) pf->ok = false;
}

/* Resolve one selector ({ids}, a group's {server_ids}, {tags}) within account+region. */
static void resolve(struct pf *pf, const char *wave, const json_t *sel, const char *account, const char *region,
                    const struct orch_store_group *grp) {
  json_t *fl = fleet(pf, account, region, wave);
  if (!fl) return;
  size_t i;
  json_t *v;
  json_t *ids = json_object_get(sel, grp ? "server_ids" : "ids");
  json_array_foreach(ids, i, v) {
    json_t *src = find_server(fl, json_string_value(v));
    if (!src) {
      check(pf, "server exists", false, wave, json_string_value(v), "no source server %s in %s/%s", json_string_value(v),
            exec_account(pf->eng, account), exec_region(pf->eng, region));
      continue;
    }
    add_server(pf, wave, src, account, region, grp);
  }
  json_t *tags = json_object_get(sel, "tags");
  if (json_is_object(tags) && json_object_size(tags)) {
    size_t matched = 0;
    json_t *src;
    json_array_foreach(fl, i, src) {
      if (!tags_match(src, tags)) continue;
      matched++;
      add_server(pf, wave, src, account, region, grp);
    }
    char *q = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
    check(pf, "tag query matches servers", matched > 0, wave, NULL, "tags %s matched %zu servers", q ? q : "?", matched);
    free(q);
  }
}

static void resolve_wave(struct pf *pf, const json_t *spec) {
  const char *wave = json_string_value(json_object_get(spec, "name"));
  const json_t *sel = json_object_get(spec, "selector");
  const char *account = json_string_value(json_object_get(spec, "account"));
  const char *region = json_string_value(json_object_get(spec, "region"));
  size_t before = json_array_size(pf->servers);
  resolve(pf, wave, sel, account, region, NULL);
  size_t i;
  json_t *g;
  json_array_foreach(json_object_get(sel, "groups"), i, g) {
    struct orch_store_group grp = {0};
    struct orch_error err = {0};
    if (orch_store_group_find(pf->eng->cfg.store, json_string_value(g), &grp, &err)) {
      check(pf, "protection group exists", false, wave, NULL, "protection group '%s': %s", json_string_value(g), err.message);
      continue;
    }
    resolve(pf, wave, grp.selector, grp.account, grp.region, &grp);
    orch_store_group_release(&grp);
  }
  size_t n = json_array_size(pf->servers) - before;
  if (json_object_size(sel)) /* a wave of hooks alone selects no servers */
    check(pf, "wave has servers", n > 0, wave, NULL, "%zu servers", n);
}

/* ISO-8601 durations as DRS reports lag ("PT1H2M3S", "P1DT2H"); -1 when unreadable. */
static int64_t iso_duration_ms(const char *s) {
  if (!s || *s != 'P') return -1;
  int64_t total = 0;
  bool time = false;
  for (const char *p = s + 1; *p;) {
    if (*p == 'T') {
      time = true;
      p++;
      continue;
    }
    double n = 0, scale = 1;
    bool frac = false, digits = false;
    for (; isdigit((unsigned char)*p) || *p == '.'; p++) {
      if (*p == '.') frac = true;
      else if (frac) scale /= 10, n += (*p - '0') * scale;
      else n = n * 10 + (*p - '0');
      digits = true;
    }
    if (!digits) return -1;
    switch (*p++) {
      case 'D': total += (int64_t)(n * 86400000); break;
      case 'H': total += (int64_t)(n * 3600000); break;
      case 'M': total += (int64_t)(n * (time ? 60000 : 30.0 * 86400000)); break;
      case 'S': total += (int64_t)(n * 1000); break;
      case 'W': total += (int64_t)(n * 7 * 86400000); break;
      default: return -1;
    }
  }
  return total;
}

static void check_servers(struct pf *pf, int64_t rpo_ms) {
  size_t i;
  json_t *s;
  json_array_foreach(pf->servers, i, s) {
    const char *id = json_string_value(json_object_get(s, "id"));
    const char *wave = json_string_value(json_object_get(s, "wave"));
    const char *account = json_string_value(json_object_get(s, "account"));
    const char *region = json_string_value(json_object_get(s, "region"));
    json_t *src = find_server(fleet(pf, account, region, wave), id);
    json_t *dri = json_object_get(src, "dataReplicationInfo");
    const char *state = json_string_value(json_object_get(dri, "dataReplicationState"));
    check(pf, "replication healthy", state && strcmp(state, "CONTINUOUS") == 0, wave, id, "replication state %s",
          state ? state : "unknown");
    if (rpo_ms > 0) {
      const char *lag = json_string_value(json_object_get(dri, "lagDuration"));
      int64_t lag_ms = iso_duration_ms(lag);
      check(pf, "lag within RPO", lag_ms >= 0 && lag_ms <= rpo_ms, wave, id, "lag %s against an RPO of %llds",
            lag ? lag : "unknown", (long long)(rpo_ms / 1000));
    }
    json_t *out = NULL;
    char why[800];
    if (call(pf, account, region, "drs", "GetLaunchConfiguration", json_pack("{s:s}", "sourceServerID", id), false, &out,
             why, sizeof why))
      check(pf, "launch configuration present", false, wave, id, "%s", why);
    else {
      const char *tmpl = json_string_value(json_object_get(out, "ec2LaunchTemplateID"));
      check(pf, "launch configuration present", tmpl != NULL, wave, id, "launch template %s", tmpl ? tmpl : "missing");
    }
    json_decref(out);
  }
}

/* The account and region of a fleet key "<account>/<region>"; false for a key of another shape. */
static bool fleet_of(const char *key, char account[16], char region[32]) {
  const char *slash = strchr(key, '/');
  return slash && orch_str_fmt(account, 16, "%.*s", (int)(slash - key), key) && orch_str_fmt(region, 32, "%s", slash + 1);
}

/* A server already in a PENDING or STARTED DRS job (ours or anyone's) would make StartRecovery fail. */
static void check_active_jobs(struct pf *pf) {
  const char *key;
  json_t *fl;
  json_object_foreach(pf->fleets, key, fl) {
    char account[16], region[32];
    if (!fleet_of(key, account, region)) continue;
    json_t *out = NULL;
    char why[800];
    if (call(pf, account, region, "drs", "DescribeJobs", json_pack("{s:{}}", "filters"), true, &out, why, sizeof why)) {
      check(pf, "no conflicting DRS job", false, NULL, NULL, "%s", why);
      continue;
    }
    size_t i, k;
    json_t *job, *ps;
    json_array_foreach(json_object_get(out, "items"), i, job) {
      const char *status = json_string_value(json_object_get(job, "status"));
      if (!status || strcmp(status, "COMPLETED") == 0) continue;
      json_array_foreach(json_object_get(job, "participatingServers"), k, ps) {
        const char *sid = json_string_value(json_object_get(ps, "sourceServerID"));
        size_t m;
        json_t *s;
        json_array_foreach(pf->servers, m, s) {
          if (sid && strcmp(json_string_value(json_object_get(s, "id")), sid) == 0)
            check(pf, "no conflicting DRS job", false, json_string_value(json_object_get(s, "wave")), sid,
                  "server is in active job %s (%s)", json_string_value(json_object_get(job, "jobID")), status);
        }
      }
    }
    json_decref(out);
  }
}

/* A server with a live recovery instance from a recovery (not a drill): a drill would launch a new one in
 * its place and its clean-up would terminate it, destroying the real recovery. Refused for a drill,
 * warned for a recovery (which launches a second instance). */
static void check_live_recoveries(struct pf *pf, const char *mode) {
  bool drill = strcmp(mode, "drill") == 0;
  const char *key;
  json_t *fl;
  json_object_foreach(pf->fleets, key, fl) {
    char account[16], region[32];
    if (!fleet_of(key, account, region)) continue;
    json_t *out = NULL;
    char why[800];
    if (call(pf, account, region, "drs", "DescribeRecoveryInstances", json_pack("{s:{}}", "filters"), true, &out, why,
             sizeof why)) {
      check(pf, "no live recovery instance", false, NULL, NULL, "%s", why);
      continue;
    }
    size_t i, m;
    json_t *ri, *s;
    json_array_foreach(json_object_get(out, "items"), i, ri) {
      const char *sid = json_string_value(json_object_get(ri, "sourceServerID"));
      const char *state = json_string_value(json_object_get(ri, "ec2InstanceState"));
      if (!sid || json_is_true(json_object_get(ri, "isDrill"))) continue;
      if (state && (strcmp(state, "TERMINATED") == 0 || strcmp(state, "SHUTTING-DOWN") == 0)) continue;
      json_array_foreach(pf->servers, m, s) {
        if (strcmp(json_string_value(json_object_get(s, "id")), sid) != 0) continue;
        const char *wave = json_string_value(json_object_get(s, "wave"));
        const char *rid = json_string_value(json_object_get(ri, "recoveryInstanceID"));
        const char *ec2 = json_string_value(json_object_get(ri, "ec2InstanceID"));
        if (drill)
          check(pf, "no live recovery instance", false, wave, sid,
                "server %s has recovery instance %s (EC2 %s, %s) running from a recovery: a drill would replace it and "
                "its clean-up terminate it; drill other servers, or terminate that recovery instance first",
                sid, rid ? rid : "?", ec2 ? ec2 : "?", state ? state : "state unknown");
        else
          warn(pf, "no live recovery instance", wave, sid,
               "server %s already has recovery instance %s (EC2 %s, %s) from a recovery: this recovery launches another",
               sid, rid ? rid : "?", ec2 ? ec2 : "?", state ? state : "state unknown");
      }
    }
    json_decref(out);
  }
}

/* The SSM documents the plan declares (ssm_documents) must exist where its hooks will run them. */
static void check_documents(struct pf *pf, const json_t *ctx) {
  const char *account = json_string_value(json_object_get(ctx, "account"));
  const char *region = json_string_value(json_object_get(ctx, "region"));
  size_t i;
  json_t *name;
  json_array_foreach(json_object_get(ctx, "ssm_documents"), i, name) {
    json_t *out = NULL;
    char why[800];
    int rc = call(pf, account, region, "ssm", "DescribeDocument", json_pack("{s:O}", "Name", name), false, &out, why, sizeof why);
    const char *status = json_string_value(json_object_get(json_object_get(out, "Document"), "Status"));
    if (rc) check(pf, "SSM document exists", false, NULL, NULL, "%s: %s", json_string_value(name), why);
    else check(pf, "SSM document exists", status && strcmp(status, "Active") == 0, NULL, NULL, "%s is %s",
               json_string_value(name), status ? status : "of unknown status");
    json_decref(out);
  }
}

static void check_quotas(struct pf *pf) {
  size_t n = json_array_size(pf->servers);
  struct orch_exec_quotas q = ORCH_EXEC_QUOTAS_DEFAULT;
  size_t jobs = (n + (size_t)q.servers_per_job - 1) / (size_t)q.servers_per_job;
  check(pf, "quota headroom", true, NULL, NULL,
        "%zu servers in at most %zu jobs of %d; admission keeps within %d concurrent jobs and %d servers in active jobs",
        n, jobs, q.servers_per_job, q.concurrent_jobs, q.servers_in_active_jobs);
}

void exec_preflight_run(struct orch_exec_engine *eng, struct exec_io *io) {
  struct pf pf = {.eng = eng, .checks = json_array(), .servers = json_array(), .fleets = json_object(), .ok = true};
  if (!pf.checks || !pf.servers || !pf.fleets) {
    io->rc = orch_error_set(&io->err, ORCH_ENOMEM, "out of memory running the preflight");
    goto out;
  }
  json_t *waves = json_object_get(io->fx.context, "waves");
  size_t i;
  json_t *spec;
  json_array_foreach(waves, i, spec) resolve_wave(&pf, spec);
  json_int_t rpo = json_integer_value(json_object_get(io->fx.context, "rpo_target_ms"));
  check_servers(&pf, rpo);
  check_active_jobs(&pf);
  const char *mode = json_string_value(json_object_get(io->fx.context, "mode"));
  if (mode && strcmp(mode, "dry-run") != 0) check_live_recoveries(&pf, mode);
  check_documents(&pf, io->fx.context);
  check_quotas(&pf);
  io->output = json_pack("{s:b, s:O, s:O, s:s*}", "ok", pf.ok, "servers", pf.servers, "checks", pf.checks, "unreadable",
                         pf.unreadable[0] ? pf.unreadable : NULL);
  if (!io->output) io->rc = orch_error_set(&io->err, ORCH_ENOMEM, "out of memory building the preflight report");
out:
  json_decref(pf.checks);
  json_decref(pf.servers);
  json_decref(pf.fleets);
}
