/* orch_sim_scenario: scenario validation and world building (a region's SSM documents are in
 * orch_sim_scenario_docs.c). Every problem is reported with the JSON path that holds it. Uses orch_sim_world, orch_sim_faults, orch_sim_rng, orch_json, orch_time, orch_str. */
#include "sim/orch_sim_scenario.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "sim/orch_sim_ops.h"
#include "sim/orch_sim_scenario_int.h"

int orch_sim_scenario_read(const char *path, json_t **out, struct orch_error *err) {
  int rc = 0;
  struct orch_buf b = ORCH_BUF_INIT(ORCH_SIM_SCENARIO_MAX_BYTES);
  FILE *f = fopen(path, "rb");
  if (!f) return orch_error_setc(err, ORCH_EIO, path, "cannot open scenario: %s", strerror(errno));
  char chunk[65536];
  size_t n;
  while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
    if ((rc = orch_buf_append(&b, chunk, n))) {
      rc = orch_error_setc(err, rc, path, "scenario larger than %zu bytes", (size_t)ORCH_SIM_SCENARIO_MAX_BYTES);
      goto out;
    }
  }
  if (ferror(f)) {
    rc = orch_error_setc(err, ORCH_EIO, path, "cannot read scenario: %s", strerror(errno));
    goto out;
  }
  struct orch_error perr = {0};
  json_t *j = orch_json_parse(b.data ? b.data : "", b.len, 0, &perr);
  if (!j) {
    rc = orch_error_setc(err, perr.code, path, "%s", perr.message);
    goto out;
  }
  *out = j;
out:
  fclose(f);
  orch_buf_free(&b);
  return rc;
}

/* ---- small validators ---- */

static bool all_digits(const char *s, size_t n) {
  if (strlen(s) != n) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

static bool valid_region(const char *r) {
  size_t n = strlen(r);
  if (n < 9 || n > 25) return false;
  for (size_t i = 0; i < n; i++)
    if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-')) return false;
  return r[n - 1] >= '0' && r[n - 1] <= '9' && strchr(r, '-') != NULL;
}

static bool valid_hex_id(const char *s, const char *prefix, size_t nhex) {
  size_t p = strlen(prefix);
  if (strncmp(s, prefix, p) != 0 || strlen(s) != p + nhex) return false;
  for (size_t i = p; s[i]; i++)
    if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
  return true;
}

static bool valid_access_key(const char *s) {
  size_t n = strlen(s);
  if (n < 16 || n > 128) return false;
  for (size_t i = 0; i < n; i++)
    if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9'))) return false;
  return true;
}

static int parse_ipv4(const char *s, uint32_t *out) {
  unsigned a[4];
  const char *p = s;
  for (int i = 0; i < 4; i++) {
    long long v;
    char part[4];
    size_t n = 0;
    while (p[n] >= '0' && p[n] <= '9' && n < 3) n++;
    if (n == 0) return ORCH_EPARSE;
    memcpy(part, p, n);
    part[n] = '\0';
    if (orch_str_to_ll(part, 0, 255, &v)) return ORCH_EPARSE;
    a[i] = (unsigned)v;
    p += n;
    if (i < 3) {
      if (*p != '.') return ORCH_EPARSE;
      p++;
    }
  }
  if (*p) return ORCH_EPARSE;
  *out = (a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3];
  return 0;
}

static int tags_object(const json_t *obj, const char *path, json_t **out, struct orch_error *err) {
  json_t *tags = NULL;
  int rc = orch_json_get_object(obj, path, "tags", false, &tags, err);
  char tp[ORCH_JSON_PATH_MAX], p[ORCH_JSON_PATH_MAX];
  const char *k;
  json_t *v;
  if (rc) return rc;
  if (!tags) {
    *out = json_object();
    return *out ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  orch_json_path_key(tp, path, "tags");
  if (json_object_size(tags) > 50) return orch_error_setc(err, ORCH_EVALIDATION, tp, "at most 50 tags");
  json_object_foreach(tags, k, v) {
    orch_json_path_key(p, tp, k);
    if ((rc = orch_json_expect(v, p, JSON_STRING, err))) return rc;
    if (strlen(k) > 128 || strlen(json_string_value(v)) > 256)
      return orch_error_setc(err, ORCH_EVALIDATION, p, "tag keys are at most 128 and values 256 characters");
  }
  *out = json_deep_copy(tags);
  return *out ? 0 : orch_error_set(err, ORCH_ENOMEM, "out of memory");
}

static int dur_field(const json_t *obj, const char *path, const char *key, int64_t *ms, struct orch_error *err) {
  json_t *v = json_object_get(obj, key);
  char p[ORCH_JSON_PATH_MAX];
  struct orch_sim_dist d;
  if (!v) return 0;
  orch_json_path_key(p, path, key);
  int rc = orch_sim_dist_parse(v, p, &d, err);
  if (rc) return rc;
  if (d.kind != ORCH_SIM_DIST_FIXED) return orch_error_setc(err, ORCH_EVALIDATION, p, "expected a single duration");
  *ms = d.a;
  return 0;
}

int orch_sim_scenario_enum(const json_t *obj, const char *path, const char *key, const char *const *allowed, char *out,
                           size_t outsz, struct orch_error *err) {
  const char *s = NULL;
  char p[ORCH_JSON_PATH_MAX];
  int rc = orch_json_get_str(obj, path, key, false, &s, err);
  if (rc || !s) return rc;
  for (size_t i = 0; allowed[i]; i++) {
    if (strcmp(allowed[i], s) == 0) {
      snprintf(out, outsz, "%s", s);
      return 0;
    }
  }
  orch_json_path_key(p, path, key);
  const char *near = orch_str_nearest(s, allowed);
  if (near) return orch_error_setc(err, ORCH_EVALIDATION, p, "unknown value '%s'; did you mean '%s'?", s, near);
  return orch_error_setc(err, ORCH_EVALIDATION, p, "unknown value '%s'", s);
}

/* ---- accounts ---- */

static int build_accounts(struct orch_sim_world *w, const json_t *sc, struct orch_error *err) {
  static const char *const keys[] = {"id", "name", "access_keys", "roles", "distributions", NULL};
  static const char *const kkeys[] = {"id", "secret", "user", NULL};
  static const char *const rkeys[] = {"name", "external_id", "max_session_duration", NULL};
  json_t *accounts = NULL;
  int rc = orch_json_get_array(sc, "", "accounts", false, &accounts, err);
  char p[ORCH_JSON_PATH_MAX], kp[ORCH_JSON_PATH_MAX], ip[ORCH_JSON_PATH_MAX];
  size_t i, k;
  json_t *a, *key;
  bool any_key = false;
  if (rc) return rc;
  size_t n = accounts ? json_array_size(accounts) : 0;
  if (n > 100) return orch_error_setc(err, ORCH_EVALIDATION, "accounts", "at most 100 accounts");
  w->accounts = orch_calloc(n + 1, sizeof *w->accounts);
  if (!w->accounts) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_array_foreach(accounts, i, a) {
    const char *id = NULL, *name = NULL;
    json_t *keys_arr = NULL, *roles = NULL;
    orch_json_path_index(p, "accounts", i);
    if ((rc = orch_json_expect(a, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(a, p, keys, err)) ||
        (rc = orch_json_get_str(a, p, "id", true, &id, err)) ||
        (rc = orch_json_get_str(a, p, "name", false, &name, err)) ||
        (rc = orch_json_get_array(a, p, "access_keys", false, &keys_arr, err)) ||
        (rc = orch_json_get_array(a, p, "roles", false, &roles, err)))
      return rc;
    orch_json_path_key(kp, p, "id");
    if (!all_digits(id, 12)) return orch_error_setc(err, ORCH_EVALIDATION, kp, "an account id is 12 digits, not '%s'", id);
    if (orch_sim_world_account(w, id) >= 0) return orch_error_setc(err, ORCH_EEXIST, kp, "account %s listed twice", id);
    struct orch_sim_account *acc = &w->accounts[w->naccounts];
    snprintf(acc->id, sizeof acc->id, "%s", id);
    acc->name = orch_strdup(name ? name : id);
    w->naccounts++;
    if (!acc->name) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    if ((rc = orch_sim_cloudfront_scenario(acc, a, p, err))) return rc;
    if (roles && json_array_size(roles)) {
      acc->roles = orch_calloc(json_array_size(roles), sizeof *acc->roles);
      if (!acc->roles) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
      json_t *r;
      orch_json_path_key(kp, p, "roles");
      json_array_foreach(roles, k, r) {
        const char *rn = NULL, *ext = NULL;
        orch_json_path_index(ip, kp, k);
        if ((rc = orch_json_expect(r, ip, JSON_OBJECT, err)) || (rc = orch_json_check_keys(r, ip, rkeys, err)) ||
            (rc = orch_json_get_str(r, ip, "name", true, &rn, err)) ||
            (rc = orch_json_get_str(r, ip, "external_id", false, &ext, err)))
          return rc;
        acc->roles[k].name = orch_strdup(rn);
        acc->roles[k].external_id = ext ? orch_strdup(ext) : NULL;
        acc->roles[k].max_session_s = 3600;
        acc->nroles++;
        json_t *msd = json_object_get(r, "max_session_duration");
        if (msd) {
          /* IAM's MaxSessionDuration: 1 to 12 hours. */
          struct orch_sim_dist d;
          char mp[ORCH_JSON_PATH_MAX];
          orch_json_path_key(mp, ip, "max_session_duration");
          if ((rc = orch_sim_dist_parse(msd, mp, &d, err))) return rc;
          if (d.kind != ORCH_SIM_DIST_FIXED || d.a < 3600000 || d.a > 43200000 || d.a % 1000)
            return orch_error_setc(err, ORCH_ERANGE, mp, "must be a duration from 1h to 12h, in whole seconds");
          acc->roles[k].max_session_s = d.a / 1000;
        }
        if (!acc->roles[k].name || (ext && !acc->roles[k].external_id))
          return orch_error_set(err, ORCH_ENOMEM, "out of memory");
      }
    }
    orch_json_path_key(kp, p, "access_keys");
    json_array_foreach(keys_arr, k, key) {
      const char *kid = NULL, *secret = NULL, *user = NULL;
      char arn[256];
      orch_json_path_index(ip, kp, k);
      if ((rc = orch_json_expect(key, ip, JSON_OBJECT, err)) || (rc = orch_json_check_keys(key, ip, kkeys, err)) ||
          (rc = orch_json_get_str(key, ip, "id", true, &kid, err)) ||
          (rc = orch_json_get_str(key, ip, "secret", true, &secret, err)) ||
          (rc = orch_json_get_str(key, ip, "user", false, &user, err)))
        return rc;
      if (!valid_access_key(kid)) {
        char xp[ORCH_JSON_PATH_MAX];
        orch_json_path_key(xp, ip, "id");
        return orch_error_setc(err, ORCH_EVALIDATION, xp, "an access key id is 16-128 upper-case letters and digits");
      }
      if (!*secret) return orch_error_setc(err, ORCH_EVALIDATION, ip, "secret is empty");
      if (orch_sim_world_credential(w, kid))
        return orch_error_setc(err, ORCH_EEXIST, ip, "access key %s listed twice", kid);
      snprintf(arn, sizeof arn, "arn:aws:iam::%s:user/%s", id, user ? user : "simulator");
      if (orch_sim_world_add_credential(w, (int)w->naccounts - 1, kid, secret, NULL, ORCH_SIM_NEVER, arn, kid))
        return orch_error_set(err, ORCH_ENOMEM, "out of memory");
      any_key = true;
    }
  }
  if (!any_key) {
    /* No credentials named: the documented default key, for the default account. */
    int acc = orch_sim_world_account(w, ORCH_SIM_DEFAULT_ACCOUNT);
    if (acc < 0) {
      acc = (int)w->naccounts++;
      snprintf(w->accounts[acc].id, sizeof w->accounts[acc].id, "%s", ORCH_SIM_DEFAULT_ACCOUNT);
      w->accounts[acc].name = orch_strdup("default");
      if (!w->accounts[acc].name) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
    if (orch_sim_world_add_credential(w, acc, ORCH_SIM_DEFAULT_ACCESS_KEY, ORCH_SIM_DEFAULT_SECRET, NULL,
                                      ORCH_SIM_NEVER, "arn:aws:iam::" ORCH_SIM_DEFAULT_ACCOUNT ":user/simulator",
                                      "AIDASIMULATOREXAMPLE"))
      return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  return 0;
}

/* ---- regions, subnets, servers ---- */

static int build_subnets(struct orch_sim_world *w, struct orch_sim_env *env, const json_t *r, const char *path,
                         struct orch_error *err) {
  static const char *const keys[] = {"id", "cidr", "az", NULL};
  json_t *arr = NULL, *s;
  size_t i;
  char p[ORCH_JSON_PATH_MAX], sp[ORCH_JSON_PATH_MAX], fp[ORCH_JSON_PATH_MAX];
  int rc = orch_json_get_array(r, path, "subnets", false, &arr, err);
  if (rc || !arr) return rc;
  orch_json_path_key(sp, path, "subnets");
  if (json_array_size(arr) == 0 || json_array_size(arr) > 200)
    return orch_error_setc(err, ORCH_EVALIDATION, sp, "between 1 and 200 subnets");
  struct orch_sim_subnet *subnets = orch_calloc(json_array_size(arr), sizeof *subnets);
  if (!subnets) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_array_foreach(arr, i, s) {
    const char *id = NULL, *cidr = NULL, *az = NULL;
    orch_json_path_index(p, sp, i);
    if ((rc = orch_json_expect(s, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(s, p, keys, err)) ||
        (rc = orch_json_get_str(s, p, "id", false, &id, err)) ||
        (rc = orch_json_get_str(s, p, "cidr", true, &cidr, err)) ||
        (rc = orch_json_get_str(s, p, "az", false, &az, err)))
      goto fail;
    struct orch_sim_subnet *sn = &subnets[i];
    if (id && !valid_hex_id(id, "subnet-", 17) && !valid_hex_id(id, "subnet-", 8)) {
      orch_json_path_key(fp, p, "id");
      rc = orch_error_setc(err, ORCH_EVALIDATION, fp, "expected subnet- and 8 or 17 hex digits, not '%s'", id);
      goto fail;
    }
    if (id) snprintf(sn->id, sizeof sn->id, "%s", id);
    else orch_sim_rng_hex_id(&w->rng, sn->id, sizeof sn->id, "subnet-", 17);
    const char *slash = strchr(cidr, '/');
    char addr[32];
    long long prefix = 0;
    orch_json_path_key(fp, p, "cidr");
    if (!slash || (size_t)(slash - cidr) >= sizeof addr) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, fp, "expected a CIDR block like 10.0.1.0/24, not '%s'", cidr);
      goto fail;
    }
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = '\0';
    if (parse_ipv4(addr, &sn->base) || orch_str_to_ll(slash + 1, 16, 28, &prefix)) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, fp, "expected a CIDR block with a prefix /16 to /28, not '%s'", cidr);
      goto fail;
    }
    sn->prefix = (int)prefix;
    sn->base &= prefix ? ~((1u << (32 - prefix)) - 1) : 0;
    sn->next = 10;
    snprintf(sn->vpc, sizeof sn->vpc, "%s", env->vpc);
    if (az) snprintf(sn->az, sizeof sn->az, "%s", az);
    else snprintf(sn->az, sizeof sn->az, "%s%c", env->region, (int)('a' + i % 3));
  }
  orch_free(env->subnets);
  env->subnets = subnets;
  env->nsubnets = json_array_size(arr);
  return 0;
fail:
  orch_free(subnets);
  return rc;
}

static int build_sgs(struct orch_sim_world *w, struct orch_sim_env *env, const json_t *r, const char *path,
                     struct orch_error *err) {
  static const char *const keys[] = {"id", "name", NULL};
  json_t *arr = NULL, *s;
  size_t i;
  char p[ORCH_JSON_PATH_MAX], sp[ORCH_JSON_PATH_MAX];
  int rc = orch_json_get_array(r, path, "security_groups", false, &arr, err);
  if (rc || !arr) return rc;
  orch_json_path_key(sp, path, "security_groups");
  if (json_array_size(arr) == 0 || json_array_size(arr) > 200)
    return orch_error_setc(err, ORCH_EVALIDATION, sp, "between 1 and 200 security groups");
  struct orch_sim_sg *sgs = orch_calloc(json_array_size(arr), sizeof *sgs);
  if (!sgs) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_array_foreach(arr, i, s) {
    const char *id = NULL, *name = NULL;
    orch_json_path_index(p, sp, i);
    if ((rc = orch_json_expect(s, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(s, p, keys, err)) ||
        (rc = orch_json_get_str(s, p, "id", false, &id, err)) ||
        (rc = orch_json_get_str(s, p, "name", true, &name, err)))
      goto fail;
    if (id && !valid_hex_id(id, "sg-", 17) && !valid_hex_id(id, "sg-", 8)) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, p, "expected sg- and 8 or 17 hex digits, not '%s'", id);
      goto fail;
    }
    if (id) snprintf(sgs[i].id, sizeof sgs[i].id, "%s", id);
    else orch_sim_rng_hex_id(&w->rng, sgs[i].id, sizeof sgs[i].id, "sg-", 17);
    snprintf(sgs[i].name, sizeof sgs[i].name, "%s", name);
    snprintf(sgs[i].vpc, sizeof sgs[i].vpc, "%s", env->vpc);
  }
  orch_free(env->sgs);
  env->sgs = sgs;
  env->nsgs = json_array_size(arr);
  return 0;
fail:
  orch_free(sgs);
  return rc;
}

/* Replace "{n}" in `tmpl` with `n` into out. */
static void expand_name(char *out, size_t outsz, const char *tmpl, long long n) {
  const char *at = strstr(tmpl, "{n}");
  if (!at) {
    snprintf(out, outsz, "%s-%lld", tmpl, n);
    return;
  }
  snprintf(out, outsz, "%.*s%lld%s", (int)(at - tmpl), tmpl, n, at + 3);
}

static const char *const repl_states[] = {"STOPPED", "INITIATING", "INITIAL_SYNC", "BACKLOG", "CREATING_SNAPSHOT",
                                          "CONTINUOUS", "PAUSED", "RESCAN", "STALLED", "DISCONNECTED", NULL};

static int build_launch_config(struct orch_sim_server *s, const json_t *srv, const char *path, struct orch_error *err) {
  static const char *const keys[] = {"name", "launchDisposition", "targetInstanceTypeRightSizingMethod",
                                     "copyPrivateIp", "copyTags", "licensing", "postLaunchEnabled", NULL};
  static const char *const disp[] = {"STOPPED", "STARTED", NULL};
  static const char *const sizing[] = {"NONE", "BASIC", "IN_AWS", NULL};
  json_t *lc = NULL, *lic = NULL;
  char p[ORCH_JSON_PATH_MAX];
  const char *name = NULL;
  int rc = orch_json_get_object(srv, path, "launch_configuration", false, &lc, err);
  snprintf(s->lc_name, sizeof s->lc_name, "%s", s->hostname);
  snprintf(s->launch_disposition, sizeof s->launch_disposition, "STARTED");
  snprintf(s->right_sizing, sizeof s->right_sizing, "BASIC");
  s->copy_private_ip = false;
  s->copy_tags = true;
  if (rc || !lc) return rc;
  orch_json_path_key(p, path, "launch_configuration");
  if ((rc = orch_json_check_keys(lc, p, keys, err)) || (rc = orch_json_get_str(lc, p, "name", false, &name, err)) ||
      (rc = orch_sim_scenario_enum(lc, p, "launchDisposition", disp, s->launch_disposition, sizeof s->launch_disposition, err)) ||
      (rc = orch_sim_scenario_enum(lc, p, "targetInstanceTypeRightSizingMethod", sizing, s->right_sizing, sizeof s->right_sizing,
                       err)) ||
      (rc = orch_json_get_bool(lc, p, "copyPrivateIp", false, &s->copy_private_ip, err)) ||
      (rc = orch_json_get_bool(lc, p, "copyTags", false, &s->copy_tags, err)) ||
      (rc = orch_json_get_bool(lc, p, "postLaunchEnabled", false, &s->post_launch, err)) ||
      (rc = orch_json_get_object(lc, p, "licensing", false, &lic, err)))
    return rc;
  if (name) snprintf(s->lc_name, sizeof s->lc_name, "%s", name);
  if (lic) {
    static const char *const lkeys[] = {"osByol", NULL};
    char lp[ORCH_JSON_PATH_MAX];
    orch_json_path_key(lp, p, "licensing");
    if ((rc = orch_json_check_keys(lic, lp, lkeys, err)) ||
        (rc = orch_json_get_bool(lic, lp, "osByol", false, &s->os_byol, err)))
      return rc;
  }
  return 0;
}

/* One source server from `srv` (a server, or a server group's template when `n` > 0). */
static int build_server(struct orch_sim_world *w, struct orch_sim_env *env, const json_t *srv, const char *path,
                        long long n, uint32_t *src_ip, struct orch_error *err) {
  const char *id = NULL, *hostname = NULL, *fqdn = NULL, *os = NULL, *os_type = NULL, *itype = NULL, *ip = NULL,
             *subnet = NULL;
  long long cpus = 2, ram_gb = 8, disk_gb = 100, snaps = 6;
  bool ssm = true;
  char p[ORCH_JSON_PATH_MAX], name[256];
  int64_t lag = 0, interval = 600000;
  int rc;
  struct orch_sim_server *s = orch_calloc(1, sizeof *s);
  if (!s) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if ((rc = orch_json_get_str(srv, path, "id", false, &id, err)) ||
      (rc = orch_json_get_str(srv, path, "hostname", true, &hostname, err)) ||
      (rc = orch_json_get_str(srv, path, "fqdn", false, &fqdn, err)) ||
      (rc = orch_json_get_str(srv, path, "os", false, &os, err)) ||
      (rc = orch_json_get_str(srv, path, "os_type", false, &os_type, err)) ||
      (rc = orch_json_get_str(srv, path, "instance_type", false, &itype, err)) ||
      (rc = orch_json_get_str(srv, path, "ip", false, &ip, err)) ||
      (rc = orch_json_get_str(srv, path, "subnet", false, &subnet, err)) ||
      (rc = orch_json_get_int(srv, path, "cpus", false, 1, 448, &cpus, err)) ||
      (rc = orch_json_get_int(srv, path, "ram_gb", false, 1, 24576, &ram_gb, err)) ||
      (rc = orch_json_get_int(srv, path, "disk_gb", false, 1, 65536, &disk_gb, err)) ||
      (rc = orch_json_get_int(srv, path, "snapshots", false, 0, 1000, &snaps, err)) ||
      (rc = orch_json_get_bool(srv, path, "ssm_agent", false, &ssm, err)) ||
      (rc = dur_field(srv, path, "lag", &lag, err)) || (rc = dur_field(srv, path, "snapshot_interval", &interval, err)) ||
      (rc = tags_object(srv, path, &s->tags, err)))
    goto fail;
  snprintf(s->repl_state, sizeof s->repl_state, "CONTINUOUS");
  if ((rc = orch_sim_scenario_enum(srv, path, "replication_state", repl_states, s->repl_state, sizeof s->repl_state, err)))
    goto fail;
  if (id) {
    orch_json_path_key(p, path, "id");
    if (n > 0) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, p, "a server group cannot name one id");
      goto fail;
    }
    if (!valid_hex_id(id, "s-", 17)) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, p, "a source server id is s- and 17 hex digits, not '%s'", id);
      goto fail;
    }
    if (orch_sim_idx_get(env->server_idx, id) >= 0) {
      rc = orch_error_setc(err, ORCH_EEXIST, p, "source server %s listed twice", id);
      goto fail;
    }
    snprintf(s->id, sizeof s->id, "%s", id);
  }
  if (n > 0) expand_name(name, sizeof name, hostname, n);
  else snprintf(name, sizeof name, "%s", hostname);
  s->hostname = orch_strdup(name);
  if (fqdn && n > 0) {
    char f[256];
    expand_name(f, sizeof f, fqdn, n);
    s->fqdn = orch_strdup(f);
  } else {
    s->fqdn = orch_strdup(fqdn ? fqdn : name);
  }
  s->windows = os_type && strcmp(os_type, "windows") == 0;
  if (os_type && !s->windows && strcmp(os_type, "linux") != 0) {
    orch_json_path_key(p, path, "os_type");
    rc = orch_error_setc(err, ORCH_EVALIDATION, p, "must be linux or windows, not '%s'", os_type);
    goto fail;
  }
  s->os = orch_strdup(os ? os : (s->windows ? "Microsoft Windows Server 2019 Datacenter" : "Ubuntu 22.04.4 LTS"));
  if (!s->hostname || !s->fqdn || !s->os) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  snprintf(s->instance_type, sizeof s->instance_type, "%s", itype ? itype : "m5.large");
  if (ip) {
    uint32_t a;
    orch_json_path_key(p, path, "ip");
    if (n > 0 || parse_ipv4(ip, &a)) {
      rc = orch_error_setc(err, ORCH_EVALIDATION, p, n > 0 ? "a server group cannot name one ip" : "not an IPv4 address: '%s'", ip);
      goto fail;
    }
    snprintf(s->ip, sizeof s->ip, "%s", ip);
  } else {
    uint32_t a = (*src_ip)++;
    snprintf(s->ip, sizeof s->ip, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
  }
  s->cpus = (int)cpus;
  s->ram_bytes = ram_gb * 1024LL * 1024 * 1024;
  s->disk_bytes = disk_gb * 1024LL * 1024 * 1024;
  s->lag_ms = lag;
  s->ssm_agent = ssm;
  s->added_ms = w->start_ms - 30LL * 86400000;
  s->last_job = s->last_instance = -1;
  snprintf(s->direction, sizeof s->direction, "FAILOVER");
  if ((rc = build_launch_config(s, srv, path, err))) goto fail;
  /* Point-in-time snapshots at the interval before the start (none while the first sync runs). */
  bool synced = strcmp(s->repl_state, "INITIATING") != 0 && strcmp(s->repl_state, "INITIAL_SYNC") != 0;
  for (long long k = synced ? snaps : 0; k > 0; k--) {
    if (orch_sim_server_add_snapshot(w, s, w->start_ms - k * interval - lag, NULL)) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      goto fail;
    }
  }
  /* Its EC2 launch template: instance type, a subnet (given or round-robin) and the first security group. */
  int sn = (int)(env->servers.n % env->nsubnets);
  if (subnet) {
    sn = orch_sim_env_subnet(env, subnet);
    if (sn < 0) {
      orch_json_path_key(p, path, "subnet");
      rc = orch_error_setc(err, ORCH_ENOTFOUND, p, "no subnet '%s' in this region", subnet);
      goto fail;
    }
  }
  json_t *data = json_pack("{s:s, s:[{s:i, s:s, s:[s], s:b}], s:[{s:s, s:[{s:s, s:s}]}]}", "InstanceType",
                           s->instance_type, "NetworkInterfaces", "DeviceIndex", 0, "SubnetId", env->subnets[sn].id,
                           "Groups", env->sgs[0].id, "AssociatePublicIpAddress", false, "TagSpecifications",
                           "ResourceType", "instance", "Tags", "Key", "Name", "Value", s->hostname);
  if (!data || orch_sim_env_new_lt(w, env, s->hostname, data, w->start_ms, &s->lt)) {
    json_decref(data);
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  json_decref(data);
  if (orch_sim_env_add_server(w, env, s)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  return 0;
fail:
  orch_sim_server_free(s);
  return rc;
}

static const char *const server_keys[] = {"id", "hostname", "fqdn", "os", "os_type", "tags", "replication_state",
                                          "lag", "instance_type", "ip", "subnet", "cpus", "ram_gb", "disk_gb",
                                          "snapshots", "snapshot_interval", "ssm_agent", "launch_configuration", NULL};
static const char *const group_keys[] = {"count", "hostname", "fqdn", "os", "os_type", "tags", "replication_state",
                                         "lag", "instance_type", "subnet", "cpus", "ram_gb", "disk_gb", "snapshots",
                                         "snapshot_interval", "ssm_agent", "launch_configuration", NULL};

static int build_region(struct orch_sim_world *w, const json_t *r, const char *path, size_t *total,
                        struct orch_error *err) {
  static const char *const keys[] = {"account", "region", "vpc", "subnets", "security_groups", "topics", "documents",
                                     "servers", "server_groups", "buckets", NULL};
  const char *account = NULL, *region = NULL, *vpc = NULL;
  json_t *servers = NULL, *groups = NULL, *topics = NULL, *s;
  char p[ORCH_JSON_PATH_MAX], sp[ORCH_JSON_PATH_MAX];
  size_t i;
  int rc;
  if ((rc = orch_json_expect(r, path, JSON_OBJECT, err)) || (rc = orch_json_check_keys(r, path, keys, err)) ||
      (rc = orch_json_get_str(r, path, "account", false, &account, err)) ||
      (rc = orch_json_get_str(r, path, "region", true, &region, err)) ||
      (rc = orch_json_get_str(r, path, "vpc", false, &vpc, err)) ||
      (rc = orch_json_get_array(r, path, "servers", false, &servers, err)) ||
      (rc = orch_json_get_array(r, path, "server_groups", false, &groups, err)) ||
      (rc = orch_json_get_array(r, path, "topics", false, &topics, err)))
    return rc;
  int acc = account ? orch_sim_world_account(w, account) : 0;
  if (acc < 0) {
    orch_json_path_key(p, path, "account");
    return orch_error_setc(err, ORCH_ENOTFOUND, p, "account %s is not in 'accounts'", account);
  }
  if (!valid_region(region)) {
    orch_json_path_key(p, path, "region");
    return orch_error_setc(err, ORCH_EVALIDATION, p, "not a region name: '%s'", region);
  }
  if (orch_sim_world_find_env(w, acc, region))
    return orch_error_setc(err, ORCH_EEXIST, path, "account %s, region %s listed twice", w->accounts[acc].id, region);
  struct orch_sim_env *env = orch_sim_world_env(w, acc, region);
  if (!env) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (vpc) {
    if (!valid_hex_id(vpc, "vpc-", 17) && !valid_hex_id(vpc, "vpc-", 8)) {
      orch_json_path_key(p, path, "vpc");
      return orch_error_setc(err, ORCH_EVALIDATION, p, "expected vpc- and 8 or 17 hex digits, not '%s'", vpc);
    }
    snprintf(env->vpc, sizeof env->vpc, "%s", vpc);
    for (size_t k = 0; k < env->nsubnets; k++) snprintf(env->subnets[k].vpc, sizeof env->subnets[k].vpc, "%s", vpc);
    for (size_t k = 0; k < env->nsgs; k++) snprintf(env->sgs[k].vpc, sizeof env->sgs[k].vpc, "%s", vpc);
  }
  if ((rc = build_subnets(w, env, r, path, err)) || (rc = build_sgs(w, env, r, path, err)) ||
      (rc = orch_sim_scenario_documents(env, r, path, err)) || (rc = orch_sim_s3_scenario(w, env, r, path, err)))
    return rc;
  orch_json_path_key(sp, path, "topics");
  json_array_foreach(topics, i, s) {
    orch_json_path_index(p, sp, i);
    if ((rc = orch_json_expect(s, p, JSON_STRING, err))) return rc;
    char arn[512];
    const char *t = json_string_value(s);
    if (strncmp(t, "arn:", 4) == 0) snprintf(arn, sizeof arn, "%s", t);
    else snprintf(arn, sizeof arn, "arn:%s:sns:%s:%s:%s", env->partition, region, w->accounts[acc].id, t);
    if (json_array_append_new(env->topics, json_string(arn))) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  uint32_t src_ip = (172u << 24) | (16u << 16) | ((uint32_t)(w->envs.n & 0xff) << 8) | 10u;
  orch_json_path_key(sp, path, "servers");
  json_array_foreach(servers, i, s) {
    orch_json_path_index(p, sp, i);
    if ((rc = orch_json_expect(s, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(s, p, server_keys, err)) ||
        (rc = build_server(w, env, s, p, 0, &src_ip, err)))
      return rc;
    if (++*total > ORCH_SIM_MAX_SERVERS) return orch_error_setc(err, ORCH_ETOOBIG, p, "more than %d servers", ORCH_SIM_MAX_SERVERS);
  }
  orch_json_path_key(sp, path, "server_groups");
  json_array_foreach(groups, i, s) {
    long long count = 0;
    orch_json_path_index(p, sp, i);
    if ((rc = orch_json_expect(s, p, JSON_OBJECT, err)) || (rc = orch_json_check_keys(s, p, group_keys, err)) ||
        (rc = orch_json_get_int(s, p, "count", true, 1, ORCH_SIM_MAX_SERVERS, &count, err)))
      return rc;
    for (long long k = 1; k <= count; k++) {
      if ((rc = build_server(w, env, s, p, k, &src_ip, err))) return rc;
      if (++*total > ORCH_SIM_MAX_SERVERS)
        return orch_error_setc(err, ORCH_ETOOBIG, p, "more than %d servers", ORCH_SIM_MAX_SERVERS);
    }
  }
  return 0;
}

static int build_timing(struct orch_sim_world *w, const json_t *sc, struct orch_error *err) {
  static const char *const keys[] = {"job_start", "snapshot", "conversion", "launch", "boot", "ssm_ready",
                                     "terminate", "stop", "command_start", "command_run", "automation",
                                     "invalidation", NULL};
  struct orch_sim_dist *slots[] = {&w->timing.job_start, &w->timing.snapshot, &w->timing.conversion,
                                   &w->timing.launch, &w->timing.boot, &w->timing.ssm_ready,
                                   &w->timing.terminate, &w->timing.stop, &w->timing.command_start,
                                   &w->timing.command_run, &w->timing.automation,
                                   &w->timing.invalidation};
  json_t *t = NULL;
  char p[ORCH_JSON_PATH_MAX];
  int rc = orch_json_get_object(sc, "", "timing", false, &t, err);
  if (rc || !t) return rc;
  if ((rc = orch_json_check_keys(t, "timing", keys, err))) return rc;
  for (size_t i = 0; keys[i]; i++) {
    json_t *v = json_object_get(t, keys[i]);
    if (!v) continue;
    orch_json_path_key(p, "timing", keys[i]);
    if ((rc = orch_sim_dist_parse(v, p, slots[i], err))) return rc;
  }
  return 0;
}

static int build_quotas(struct orch_sim_world *w, const json_t *sc, struct orch_error *err) {
  const char *keys[ORCH_SIM_NQUOTAS + 1];
  json_t *q = NULL;
  char p[ORCH_JSON_PATH_MAX];
  int rc = orch_json_get_object(sc, "", "quotas", false, &q, err);
  if (rc || !q) return rc;
  for (int i = 0; i < ORCH_SIM_NQUOTAS; i++) keys[i] = w->quotas[i].key;
  keys[ORCH_SIM_NQUOTAS] = NULL;
  if ((rc = orch_json_check_keys(q, "quotas", keys, err))) return rc;
  for (int i = 0; i < ORCH_SIM_NQUOTAS; i++) {
    long long v;
    json_t *j = json_object_get(q, keys[i]);
    if (!j) continue;
    orch_json_path_key(p, "quotas", keys[i]);
    if ((rc = orch_json_get_int(q, "quotas", keys[i], true, 0, 1000000, &v, err))) return rc;
    w->quotas[i].value = (double)v;
  }
  return 0;
}

int orch_sim_scenario_build(const json_t *sc, uint64_t seed, int64_t default_start_ms, struct orch_sim_world **out,
                            struct orch_error *err) {
  static const char *const keys[] = {"name", "description", "start_time", "accounts", "regions", "timing", "quotas",
                                     "throttling", "errors", "latency", "failures", "consistency", NULL};
  struct orch_sim_world *w = NULL;
  const char *name = NULL, *start = NULL, *desc = NULL;
  json_t *regions = NULL, *r;
  char p[ORCH_JSON_PATH_MAX];
  size_t i, total = 0;
  int64_t start_ms = default_start_ms;
  int rc;
  if ((rc = orch_json_expect(sc, "", JSON_OBJECT, err)) || (rc = orch_json_check_keys(sc, "", keys, err)) ||
      (rc = orch_json_get_str(sc, "", "name", false, &name, err)) ||
      (rc = orch_json_get_str(sc, "", "description", false, &desc, err)) ||
      (rc = orch_json_get_str(sc, "", "start_time", false, &start, err)) ||
      (rc = orch_json_get_array(sc, "", "regions", false, &regions, err)))
    return rc;
  if (start && orch_time_parse_iso8601(start, &start_ms))
    return orch_error_setc(err, ORCH_EVALIDATION, "start_time", "not an ISO-8601 time: '%s'", start);
  if (orch_sim_world_alloc(seed, start_ms, &w)) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (name) snprintf(w->name, sizeof w->name, "%s", name);
  if ((rc = build_accounts(w, sc, err)) || (rc = build_timing(w, sc, err)) || (rc = build_quotas(w, sc, err)) ||
      (rc = orch_sim_faults_parse(sc, "", &w->faults, err)))
    goto fail;
  json_array_foreach(regions, i, r) {
    orch_json_path_index(p, "regions", i);
    if ((rc = build_region(w, r, p, &total, err))) goto fail;
  }
  /* Every account has its first region's env, so the caller's default region answers even when empty. */
  if (w->envs.n == 0 && !orch_sim_world_env(w, 0, ORCH_SIM_DEFAULT_REGION)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  *out = w;
  return 0;
fail:
  orch_sim_world_free(w);
  return rc;
}
