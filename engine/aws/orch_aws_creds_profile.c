/* orch_aws_creds_profile: credentials named by a shared-config profile: static keys, role_arn with
 * source_profile (chains of them, cycles refused) or credential_source, and web_identity_token_file.
 * The provider tree is built at the first fetch and kept. Uses orch_aws_profile, orch_aws_creds
 * (env, IMDS, ECS, assume-role and web-identity sources). */
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_creds_int.h"
#include "core/orch_alloc.h"
#include "core/orch_buf.h"
#include "core/orch_str.h"

#define PROFILE_MAX_DEPTH 8

struct profile_ctx {
  struct creds_opts opts;
  enum creds_profile_phase phase;
  bool explicit_profile;
  char name[128];
  char label[160];
  struct orch_aws_creds *inner; /* built at the first successful resolution */
};

static const char *get(const struct profile_ctx *pc, const char *profile, const char *key) {
  const char *v = orch_aws_profile_get(pc->opts.o.profiles, profile, key);
  return v && *v ? v : NULL;
}

static int static_of(const struct profile_ctx *pc, const char *profile, struct orch_aws_creds **out,
                     struct orch_error *err) {
  const char *id = get(pc, profile, "aws_access_key_id"), *secret = get(pc, profile, "aws_secret_access_key");
  if (!id && !secret) return ORCH_ENOTFOUND;
  if (!id || !secret)
    return orch_error_setc(err, ORCH_ECONFIG, profile, "profile '%s' sets only one of aws_access_key_id and "
                           "aws_secret_access_key", profile);
  int rc = orch_aws_creds_static(id, secret, get(pc, profile, "aws_session_token"), out);
  if (rc == ORCH_EINVAL) return orch_error_setc(err, ORCH_ECONFIG, profile, "profile '%s' has over-long keys", profile);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}

static int build(struct profile_ctx *pc, const char *name, int depth, struct orch_buf *path,
                 struct orch_aws_creds **out, struct orch_error *err);

static int base_from_credential_source(struct profile_ctx *pc, const char *name, const char *src,
                                       struct orch_aws_creds **out, struct orch_error *err) {
  if (strcmp(src, "Environment") == 0) {
    int rc = orch_aws_creds_env(orch_aws_creds_cache_clock(&pc->opts.o), out);
    return rc ? orch_error_set(err, rc, "out of memory") : 0;
  }
  if (strcmp(src, "Ec2InstanceMetadata") == 0) return orch_aws_creds_imds(&pc->opts.o, out, err);
  if (strcmp(src, "EcsContainer") == 0) return orch_aws_creds_ecs(&pc->opts.o, out, err);
  static const char *const names[] = {"Environment", "Ec2InstanceMetadata", "EcsContainer", NULL};
  const char *near = orch_str_nearest(src, names);
  return orch_error_setc(err, ORCH_ECONFIG, name,
                         "profile '%s': credential_source '%s' is not one of Environment, Ec2InstanceMetadata, "
                         "EcsContainer%s%s%s",
                         name, src, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
}

static int assume_from(struct profile_ctx *pc, const char *name, const char *role_arn, int depth,
                       struct orch_buf *path, struct orch_aws_creds **out, struct orch_error *err) {
  const char *source = get(pc, name, "source_profile"), *cred_src = get(pc, name, "credential_source");
  const char *token_file = get(pc, name, "web_identity_token_file");
  struct orch_aws_creds *base = NULL;
  int rc;
  if (source && cred_src)
    return orch_error_setc(err, ORCH_ECONFIG, name, "profile '%s' sets both source_profile and credential_source", name);
  if (source) {
    if (strcmp(source, name) == 0) { /* a profile may use its own keys to assume its role */
      rc = static_of(pc, name, &base, err);
      if (rc == ORCH_ENOTFOUND)
        rc = orch_error_setc(err, ORCH_ECONFIG, name, "profile '%s' is its own source_profile but has no keys", name);
    } else {
      rc = build(pc, source, depth + 1, path, &base, err);
      if (rc == ORCH_ENOTFOUND)
        rc = orch_error_setc(err, ORCH_ECONFIG, source, "source_profile '%s' (of profile '%s') has no credentials",
                             source, name);
    }
  } else if (cred_src) {
    rc = base_from_credential_source(pc, name, cred_src, &base, err);
  } else if (token_file) {
    struct orch_aws_creds_options o = pc->opts.o;
    o.profile = name;
    return orch_aws_creds_web_identity(token_file, role_arn, get(pc, name, "role_session_name"), &o, out, err);
  } else {
    return orch_error_setc(err, ORCH_ECONFIG, name,
                           "profile '%s' has role_arn but no source_profile, credential_source or "
                           "web_identity_token_file", name);
  }
  if (rc) return rc;
  struct orch_aws_assume_role role = {.role_arn = role_arn, .external_id = get(pc, name, "external_id"),
                                      .session_name = get(pc, name, "role_session_name")};
  const char *dur = get(pc, name, "duration_seconds");
  if (dur) {
    long long d = 0;
    if (orch_str_to_ll(dur, 900, 43200, &d)) {
      orch_aws_creds_free(base);
      return orch_error_setc(err, ORCH_ECONFIG, name, "profile '%s': duration_seconds must be 900..43200, not '%s'",
                             name, dur);
    }
    role.duration_s = (int)d;
  }
  struct orch_aws_creds_options o = pc->opts.o;
  o.profile = name; /* STS region from this profile's region when none was given */
  return orch_aws_creds_assume_role(base, true, &role, &o, out, err);
}

/* The provider for profile `name`; ORCH_ENOTFOUND when it holds no credentials at all. */
static int build(struct profile_ctx *pc, const char *name, int depth, struct orch_buf *path,
                 struct orch_aws_creds **out, struct orch_error *err) {
  size_t mark = path->len;
  int rc = 0;
  /* `path` holds "|a|b|": the profiles on the way here, for cycle detection and the message. */
  struct orch_buf probe = ORCH_BUF_INIT(512);
  if (orch_buf_printf(&probe, "|%s|", name)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  else if (depth > PROFILE_MAX_DEPTH || (path->data && strstr(path->data, orch_buf_cstr(&probe))))
    rc = orch_error_setc(err, ORCH_ECONFIG, name, "source_profile loop or chain too long: %s%s", orch_buf_cstr(path), name);
  orch_buf_free(&probe);
  if (rc) return rc;
  if ((rc = orch_buf_printf(path, "%s%s|", path->len ? "" : "|", name)))
    return orch_error_set(err, rc, "out of memory");
  const char *role_arn = get(pc, name, "role_arn");
  if (role_arn) {
    rc = assume_from(pc, name, role_arn, depth, path, out, err);
  } else if (get(pc, name, "web_identity_token_file")) {
    rc = orch_error_setc(err, ORCH_ECONFIG, name, "profile '%s' has web_identity_token_file but no role_arn", name);
  } else {
    rc = static_of(pc, name, out, err);
    if (rc == ORCH_ENOTFOUND && get(pc, name, "credential_process"))
      rc = orch_error_setc(err, ORCH_ECONFIG, name, "profile '%s': credential_process is not supported", name);
    else if (rc == ORCH_ENOTFOUND)
      orch_error_setc(err, ORCH_ENOTFOUND, name, "profile '%s' has no credentials", name);
  }
  orch_buf_truncate(path, mark);
  return rc;
}

static int profile_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct profile_ctx *pc = ctx;
  if (!pc->inner) {
    const char *name = pc->name;
    if (!orch_aws_profile_exists(pc->opts.o.profiles, name)) {
      if (pc->explicit_profile && pc->phase != CREDS_PROFILE_OTHER)
        return orch_error_setc(err, ORCH_ECONFIG, name, "profile '%s' is not in the shared config or credentials file",
                               name);
      return orch_error_set(err, ORCH_ENOTFOUND, "no profile '%s'", name);
    }
    bool has_role = get(pc, name, "role_arn") != NULL;
    if (pc->phase == CREDS_PROFILE_ROLE && !has_role)
      return orch_error_set(err, ORCH_ENOTFOUND, "profile '%s' has no role_arn", name);
    if (pc->phase == CREDS_PROFILE_OTHER && has_role)
      return orch_error_set(err, ORCH_ENOTFOUND, "profile '%s' assumes a role", name);
    struct orch_buf path = ORCH_BUF_INIT(4096);
    int rc = build(pc, name, 0, &path, &pc->inner, err);
    orch_buf_free(&path);
    if (rc) return rc;
  }
  int rc = creds_get_raw(pc->inner, out, err);
  if (!rc && strncmp(out->source, "profile", 7) != 0) {
    char src[sizeof out->source];
    snprintf(src, sizeof src, "%s", out->source);
    snprintf(out->source, sizeof out->source, "profile %s (%s)", pc->name, src);
  }
  return rc;
}

static void profile_destroy(void *ctx) {
  struct profile_ctx *pc = ctx;
  if (!pc) return;
  orch_aws_creds_free(pc->inner);
  creds_opts_free(&pc->opts);
  orch_free(pc);
}

static const struct orch_aws_creds_ops profile_ops[] = {
    [CREDS_PROFILE_ALL] = {.name = "profile", .fetch = profile_fetch, .destroy = profile_destroy},
    [CREDS_PROFILE_ROLE] = {.name = "profile-role", .fetch = profile_fetch, .destroy = profile_destroy},
    [CREDS_PROFILE_OTHER] = {.name = "profile", .fetch = profile_fetch, .destroy = profile_destroy},
};

int creds_profile_new(const struct orch_aws_creds_options *o, enum creds_profile_phase phase,
                      struct orch_aws_creds **out, struct orch_error *err) {
  struct profile_ctx *pc = orch_calloc(1, sizeof *pc);
  if (!pc) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = creds_opts_copy(&pc->opts, o, true, err);
  if (rc) {
    orch_free(pc);
    return rc;
  }
  pc->phase = phase;
  pc->explicit_profile = o && o->profile && *o->profile;
  snprintf(pc->name, sizeof pc->name, "%s", orch_aws_profile_name(o ? o->profile : NULL));
  rc = orch_aws_creds_new(&profile_ops[phase], pc, orch_aws_creds_cache_clock(&pc->opts.o), out);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}

int orch_aws_creds_profile(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                           struct orch_error *err) {
  return creds_profile_new(o, CREDS_PROFILE_ALL, out, err);
}
