/* orch_sim_faults: fault rules (parse, copy, lookup, dump) and the call record.
 * Uses jansson, orch_json, orch_time, orch_alloc. */
#include "sim/orch_sim_faults.h"

#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_time.h"

#define MAX_RULES 1000

static void launch_rules_free(struct orch_sim_launch_rule *r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    orch_free(r[i].server_id);
    orch_free(r[i].reason);
    json_decref(r[i].tags);
  }
  orch_free(r);
}

static void ssm_rules_free(struct orch_sim_ssm_rule *r, size_t n) {
  for (size_t i = 0; i < n; i++) {
    orch_free(r[i].document);
    orch_free(r[i].output);
    json_decref(r[i].tags);
  }
  orch_free(r);
}

void orch_sim_faults_free(struct orch_sim_faults *f) {
  if (!f) return;
  orch_free(f->ops);
  launch_rules_free(f->launch, f->nlaunch);
  ssm_rules_free(f->ssm, f->nssm);
  memset(f, 0, sizeof *f);
}

/* An operation key: "*", "svc:*" or "svc:Operation" with a known service name. */
static int check_op_key(const char *key, const char *path, struct orch_error *err) {
  static const char *const services[] = {"drs", "ec2", "ssm", "sns", "sts", "servicequotas", "s3", "cloudfront", NULL};
  if (strcmp(key, "*") == 0) return 0;
  const char *colon = strchr(key, ':');
  if (!colon || !colon[1] || strlen(key) >= sizeof((struct orch_sim_op_fault *)0)->key)
    return orch_error_setc(err, ORCH_EVALIDATION, path,
                           "operation key '%s' must be \"*\", \"service:*\" or \"service:Operation\"", key);
  for (size_t i = 0; services[i]; i++)
    if (strlen(services[i]) == (size_t)(colon - key) && strncmp(services[i], key, (size_t)(colon - key)) == 0)
      return 0;
  return orch_error_setc(err, ORCH_EVALIDATION, path,
                         "unknown service in '%s' (drs, ec2, ssm, sns, sts, servicequotas, s3, cloudfront)", key);
}

static struct orch_sim_op_fault *op_slot(struct orch_sim_faults *f, const char *key) {
  for (size_t i = 0; i < f->nops; i++)
    if (strcmp(f->ops[i].key, key) == 0) return &f->ops[i];
  struct orch_sim_op_fault *ops = orch_realloc(f->ops, (f->nops + 1) * sizeof *ops);
  if (!ops) return NULL;
  f->ops = ops;
  struct orch_sim_op_fault *o = &ops[f->nops++];
  memset(o, 0, sizeof *o);
  snprintf(o->key, sizeof o->key, "%s", key);
  return o;
}

static int parse_rate(const json_t *v, const char *path, double *out, struct orch_error *err) {
  if (!json_is_number(v)) return orch_error_setc(err, ORCH_ETYPE, path, "expected a number between 0 and 1, got %s",
                                                 orch_json_type_name(v));
  double d = json_number_value(v);
  if (d < 0 || d > 1) return orch_error_setc(err, ORCH_ERANGE, path, "must be between 0 and 1");
  *out = d;
  return 0;
}

/* Parse one op map ("throttling" / "errors" / "latency") into `f`. which: 0 throttle, 1 error, 2 latency. */
static int parse_op_map(const json_t *map, const char *path, int which, struct orch_sim_faults *f,
                        struct orch_error *err) {
  int rc;
  const char *key;
  json_t *v;
  char p[ORCH_JSON_PATH_MAX];
  if ((rc = orch_json_expect(map, path, JSON_OBJECT, err))) return rc;
  /* Clear the previous values of this kind: the map replaces them. */
  for (size_t i = 0; i < f->nops; i++) {
    if (which == 0) f->ops[i].has_throttle = false, f->ops[i].throttle = 0;
    if (which == 1) f->ops[i].has_error = false, f->ops[i].error = 0;
    if (which == 2) f->ops[i].has_latency = false, f->ops[i].latency_ms = 0;
  }
  json_object_foreach(orch_sim_json_mut(map), key, v) {
    orch_json_path_key(p, path, key);
    if ((rc = check_op_key(key, p, err))) return rc;
    struct orch_sim_op_fault *o = op_slot(f, key);
    if (!o) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    if (which == 0) {
      if ((rc = parse_rate(v, p, &o->throttle, err))) return rc;
      o->has_throttle = true;
    } else if (which == 1) {
      if ((rc = parse_rate(v, p, &o->error, err))) return rc;
      o->has_error = true;
    } else {
      struct orch_sim_dist d;
      if ((rc = orch_sim_dist_parse(v, p, &d, err))) return rc;
      if (d.kind != ORCH_SIM_DIST_FIXED)
        return orch_error_setc(err, ORCH_EVALIDATION, p, "latency must be a single duration (\"20ms\")");
      if (d.a > 60000) return orch_error_setc(err, ORCH_ERANGE, p, "latency is capped at 60s");
      o->latency_ms = d.a;
      o->has_latency = true;
    }
  }
  return 0;
}

static int parse_tags_filter(const json_t *rule, const char *path, json_t **out, struct orch_error *err) {
  json_t *tags = NULL;
  int rc = orch_json_get_object(rule, path, "tags", false, &tags, err);
  if (rc) return rc;
  if (!tags) return 0;
  const char *k;
  json_t *v;
  char p[ORCH_JSON_PATH_MAX], tp[ORCH_JSON_PATH_MAX];
  orch_json_path_key(tp, path, "tags");
  json_object_foreach(tags, k, v) {
    orch_json_path_key(p, tp, k);
    if ((rc = orch_json_expect(v, p, JSON_STRING, err))) return rc;
  }
  *out = json_incref(tags);
  return 0;
}

static int parse_probability(const json_t *rule, const char *path, double *out, struct orch_error *err) {
  char p[ORCH_JSON_PATH_MAX];
  json_t *v = json_object_get(rule, "probability");
  *out = 1.0;
  if (!v) return 0;
  orch_json_path_key(p, path, "probability");
  return parse_rate(v, p, out, err);
}

static int parse_launch_rules(const json_t *arr, const char *path, struct orch_sim_launch_rule **out, size_t *nout,
                              struct orch_error *err) {
  static const char *const keys[] = {"server", "tags", "probability", "reason", NULL};
  int rc = orch_json_expect(arr, path, JSON_ARRAY, err);
  if (rc) return rc;
  size_t n = json_array_size(arr);
  if (n > MAX_RULES) return orch_error_setc(err, ORCH_ETOOBIG, path, "at most %d rules", MAX_RULES);
  struct orch_sim_launch_rule *rules = orch_calloc(n ? n : 1, sizeof *rules);
  if (!rules) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  size_t i;
  json_t *r;
  char p[ORCH_JSON_PATH_MAX];
  json_array_foreach(arr, i, r) {
    const char *server = NULL, *reason = NULL;
    orch_json_path_index(p, path, i);
    if ((rc = orch_json_expect(r, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(r, p, keys, err)) ||
        (rc = orch_json_get_str(r, p, "server", false, &server, err)) ||
        (rc = orch_json_get_str(r, p, "reason", false, &reason, err)) ||
        (rc = parse_tags_filter(r, p, &rules[i].tags, err)) ||
        (rc = parse_probability(r, p, &rules[i].probability, err)))
      goto fail;
    rules[i].server_id = server ? orch_strdup(server) : NULL;
    rules[i].reason = orch_strdup(reason ? reason : "Simulated launch failure");
    if ((server && !rules[i].server_id) || !rules[i].reason) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      goto fail;
    }
  }
  *out = rules;
  *nout = n;
  return 0;
fail:
  launch_rules_free(rules, n);
  return rc;
}

static int parse_ssm_rules(const json_t *arr, const char *path, struct orch_sim_ssm_rule **out, size_t *nout,
                           struct orch_error *err) {
  static const char *const keys[] = {"document", "tags", "probability", "status", "output", "response_code",
                                     "duration", NULL};
  static const char *const statuses[] = {"Success", "Failed", "TimedOut", NULL};
  int rc = orch_json_expect(arr, path, JSON_ARRAY, err);
  if (rc) return rc;
  size_t n = json_array_size(arr);
  if (n > MAX_RULES) return orch_error_setc(err, ORCH_ETOOBIG, path, "at most %d rules", MAX_RULES);
  struct orch_sim_ssm_rule *rules = orch_calloc(n ? n : 1, sizeof *rules);
  if (!rules) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  size_t i;
  json_t *r;
  char p[ORCH_JSON_PATH_MAX], sp[ORCH_JSON_PATH_MAX];
  json_array_foreach(arr, i, r) {
    const char *doc = NULL, *status = NULL, *output = NULL;
    long long code = -1;
    orch_json_path_index(p, path, i);
    if ((rc = orch_json_expect(r, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(r, p, keys, err)) ||
        (rc = orch_json_get_str(r, p, "document", false, &doc, err)) ||
        (rc = orch_json_get_str(r, p, "status", true, &status, err)) ||
        (rc = orch_json_get_str(r, p, "output", false, &output, err)) ||
        (rc = orch_json_get_int(r, p, "response_code", false, -1, 255, &code, err)) ||
        (rc = parse_tags_filter(r, p, &rules[i].tags, err)) ||
        (rc = parse_probability(r, p, &rules[i].probability, err)))
      goto fail;
    size_t s;
    for (s = 0; statuses[s]; s++)
      if (strcmp(statuses[s], status) == 0) break;
    if (!statuses[s]) {
      orch_json_path_key(sp, p, "status");
      rc = orch_error_setc(err, ORCH_EVALIDATION, sp, "must be Success, Failed or TimedOut, not '%s'", status);
      goto fail;
    }
    snprintf(rules[i].status, sizeof rules[i].status, "%s", status);
    json_t *d = json_object_get(r, "duration");
    if (d) {
      orch_json_path_key(sp, p, "duration");
      if ((rc = orch_sim_dist_parse(d, sp, &rules[i].duration, err))) goto fail;
      rules[i].has_duration = true;
    }
    rules[i].response_code = code >= 0 ? (int)code : (strcmp(status, "Success") == 0 ? 0 : 1);
    rules[i].document = doc ? orch_strdup(doc) : NULL;
    rules[i].output = orch_strdup(output ? output : "");
    if ((doc && !rules[i].document) || !rules[i].output) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      goto fail;
    }
  }
  *out = rules;
  *nout = n;
  return 0;
fail:
  ssm_rules_free(rules, n);
  return rc;
}

int orch_sim_faults_copy(struct orch_sim_faults *dst, const struct orch_sim_faults *src) {
  struct orch_sim_faults f = {0};
  json_t *j = orch_sim_faults_json(src);
  if (!j) return ORCH_ENOMEM;
  int rc = orch_sim_faults_parse(j, "", &f, NULL);
  json_decref(j);
  if (rc) return rc;
  *dst = f;
  return 0;
}

/* "consistency": {"new_jobs": distribution} (a duration, "0s" turns it off). */
static int parse_consistency(const json_t *c, const char *path, struct orch_sim_dist *out, bool *has,
                             struct orch_error *err) {
  static const char *const keys[] = {"new_jobs", NULL};
  char p[ORCH_JSON_PATH_MAX];
  int rc;
  if ((rc = orch_json_expect(c, path, JSON_OBJECT, err)) || (rc = orch_json_check_keys(c, path, keys, err))) return rc;
  json_t *v = json_object_get(c, "new_jobs");
  if (!v) return 0;
  orch_json_path_key(p, path, "new_jobs");
  if ((rc = orch_sim_dist_parse(v, p, out, err))) return rc;
  int64_t hi = out->kind == ORCH_SIM_DIST_FIXED ? out->a : out->kind == ORCH_SIM_DIST_UNIFORM ? out->b : out->a;
  if (hi > 3600000)
    return orch_error_setc(err, ORCH_ERANGE, p, "the delay is capped at 1h");
  *has = !(out->kind == ORCH_SIM_DIST_FIXED && out->a == 0);
  return 0;
}

int orch_sim_faults_parse(const json_t *obj, const char *path, struct orch_sim_faults *f, struct orch_error *err) {
  static const char *const fkeys[] = {"launch", "ssm", NULL};
  static const char *const maps[] = {"throttling", "errors", "latency"};
  int rc = 0;
  char p[ORCH_JSON_PATH_MAX];
  struct orch_sim_faults work = {0};
  /* Work on a copy so a failure leaves `f` as it was. */
  if (f->nops) {
    work.ops = orch_malloc(f->nops * sizeof *work.ops);
    if (!work.ops) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    memcpy(work.ops, f->ops, f->nops * sizeof *work.ops);
    work.nops = f->nops;
  }
  for (int m = 0; m < 3; m++) {
    json_t *v = json_object_get(obj, maps[m]);
    if (!v) continue;
    orch_json_path_key(p, path, maps[m]);
    if ((rc = parse_op_map(v, p, m, &work, err))) goto fail;
  }
  json_t *cons = json_object_get(obj, "consistency");
  struct orch_sim_dist new_jobs = f->new_jobs;
  bool has_new_jobs = f->has_new_jobs;
  if (cons) {
    orch_json_path_key(p, path, "consistency");
    if ((rc = parse_consistency(cons, p, &new_jobs, &has_new_jobs, err))) goto fail;
  }
  json_t *failures = json_object_get(obj, "failures");
  bool new_launch = false, new_ssm = false;
  if (failures) {
    char fp[ORCH_JSON_PATH_MAX];
    orch_json_path_key(fp, path, "failures");
    if ((rc = orch_json_expect(failures, fp, JSON_OBJECT, err)) || (rc = orch_json_check_keys(failures, fp, fkeys, err)))
      goto fail;
    json_t *l = json_object_get(failures, "launch"), *s = json_object_get(failures, "ssm");
    if (l) {
      orch_json_path_key(p, fp, "launch");
      if ((rc = parse_launch_rules(l, p, &work.launch, &work.nlaunch, err))) goto fail;
      new_launch = true;
    }
    if (s) {
      orch_json_path_key(p, fp, "ssm");
      if ((rc = parse_ssm_rules(s, p, &work.ssm, &work.nssm, err))) goto fail;
      new_ssm = true;
    }
  }
  orch_free(f->ops);
  f->ops = work.ops;
  f->nops = work.nops;
  f->new_jobs = new_jobs;
  f->has_new_jobs = has_new_jobs;
  if (new_launch) {
    launch_rules_free(f->launch, f->nlaunch);
    f->launch = work.launch;
    f->nlaunch = work.nlaunch;
  }
  if (new_ssm) {
    ssm_rules_free(f->ssm, f->nssm);
    f->ssm = work.ssm;
    f->nssm = work.nssm;
  }
  return 0;
fail:
  orch_sim_faults_free(&work);
  return rc;
}

struct orch_sim_op_fault orch_sim_faults_lookup(const struct orch_sim_faults *f, const char *service,
                                                const char *operation) {
  struct orch_sim_op_fault r = {0};
  char exact[96], any[96];
  snprintf(exact, sizeof exact, "%s:%s", service, operation);
  snprintf(any, sizeof any, "%s:*", service);
  /* Most specific wins per field: apply "*" first, then "svc:*", then the exact key. */
  const char *order[] = {"*", any, exact};
  for (int k = 0; k < 3; k++) {
    for (size_t i = 0; i < f->nops; i++) {
      const struct orch_sim_op_fault *o = &f->ops[i];
      if (strcmp(o->key, order[k]) != 0) continue;
      if (o->has_throttle) r.throttle = o->throttle, r.has_throttle = true;
      if (o->has_error) r.error = o->error, r.has_error = true;
      if (o->has_latency) r.latency_ms = o->latency_ms, r.has_latency = true;
    }
  }
  snprintf(r.key, sizeof r.key, "%s", exact);
  return r;
}

bool orch_sim_tags_match(const json_t *tags, const json_t *want) {
  const char *k;
  json_t *v;
  if (!want) return true;
  json_object_foreach(orch_sim_json_mut(want), k, v) {
    json_t *have = json_object_get(tags, k);
    if (!json_is_string(have) || strcmp(json_string_value(have), json_string_value(v)) != 0) return false;
  }
  return true;
}

json_t *orch_sim_faults_json(const struct orch_sim_faults *f) {
  json_t *out = json_pack("{s:{}, s:{}, s:{}, s:{s:[], s:[]}, s:{s:o}}", "throttling", "errors", "latency",
                          "failures", "launch", "ssm", "consistency", "new_jobs",
                          f->has_new_jobs ? orch_sim_dist_json(&f->new_jobs) : json_string("0s"));
  if (!out) return NULL;
  json_t *th = json_object_get(out, "throttling"), *er = json_object_get(out, "errors"),
         *la = json_object_get(out, "latency");
  json_t *fl = json_object_get(out, "failures");
  json_t *launch = json_object_get(fl, "launch"), *ssm = json_object_get(fl, "ssm");
  for (size_t i = 0; i < f->nops; i++) {
    const struct orch_sim_op_fault *o = &f->ops[i];
    char d[64];
    orch_duration_format(d, sizeof d, o->latency_ms);
    if (o->has_throttle) json_object_set_new(th, o->key, json_real(o->throttle));
    if (o->has_error) json_object_set_new(er, o->key, json_real(o->error));
    if (o->has_latency) json_object_set_new(la, o->key, json_string(d));
  }
  for (size_t i = 0; i < f->nlaunch; i++) {
    const struct orch_sim_launch_rule *r = &f->launch[i];
    json_t *j = json_pack("{s:f, s:s}", "probability", r->probability, "reason", r->reason);
    if (!j) goto fail;
    if (r->server_id) json_object_set_new(j, "server", json_string(r->server_id));
    if (r->tags) json_object_set(j, "tags", r->tags);
    json_array_append_new(launch, j);
  }
  for (size_t i = 0; i < f->nssm; i++) {
    const struct orch_sim_ssm_rule *r = &f->ssm[i];
    json_t *j = json_pack("{s:f, s:s, s:s, s:i}", "probability", r->probability, "status", r->status, "output",
                          r->output, "response_code", r->response_code);
    if (!j) goto fail;
    if (r->document) json_object_set_new(j, "document", json_string(r->document));
    if (r->tags) json_object_set(j, "tags", r->tags);
    if (r->has_duration) json_object_set_new(j, "duration", orch_sim_dist_json(&r->duration));
    json_array_append_new(ssm, j);
  }
  return out;
fail:
  json_decref(out);
  return NULL;
}

int orch_sim_calls_init(struct orch_sim_calls *c) {
  c->counts = json_object();
  c->recoveries = json_array();
  c->total = 0;
  if (!c->counts || !c->recoveries) {
    orch_sim_calls_free(c);
    return ORCH_ENOMEM;
  }
  return 0;
}

void orch_sim_calls_free(struct orch_sim_calls *c) {
  if (!c) return;
  json_decref(c->counts);
  json_decref(c->recoveries);
  c->counts = c->recoveries = NULL;
}

void orch_sim_calls_count(struct orch_sim_calls *c, const char *service, const char *operation, const char *outcome) {
  char key[128];
  snprintf(key, sizeof key, "%s:%s", service, operation);
  json_t *e = json_object_get(c->counts, key);
  if (!e) {
    e = json_pack("{s:i, s:i, s:i}", "calls", 0, "throttled", 0, "errors", 0);
    if (!e || json_object_set_new(c->counts, key, e)) return;
  }
  json_t *n = json_object_get(e, outcome);
  if (json_is_integer(n)) json_integer_set(n, json_integer_value(n) + 1);
  if (strcmp(outcome, "calls") == 0) c->total++;
}

void orch_sim_calls_recovery(struct orch_sim_calls *c, int64_t at_ms, const char *account, const char *region,
                             const char *job_id, const char *error_code, bool drill, const json_t *tags,
                             const json_t *server_ids) {
  char at[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(at, at_ms);
  json_t *t = tags ? json_deep_copy(tags) : json_object();
  json_t *ids = server_ids ? json_deep_copy(server_ids) : json_array();
  json_t *r = json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:b, s:o, s:o}", "at", at, "account", account, "region", region,
                        "jobID", job_id, "error", error_code, "isDrill", drill, "tags", t, "sourceServerIDs", ids);
  if (r) json_array_append_new(c->recoveries, r);
}

json_t *orch_sim_calls_json(const struct orch_sim_calls *c) {
  return json_pack("{s:I, s:O, s:O}", "total", (json_int_t)c->total, "operations", c->counts, "startRecovery",
                   c->recoveries);
}
