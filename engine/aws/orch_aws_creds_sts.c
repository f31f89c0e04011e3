/* orch_aws_creds_sts: credentials from STS: AssumeRole on top of a base provider (profiles with
 * role_arn, and the per-target-account provider with ExternalId that cross-account plans use) and
 * AssumeRoleWithWebIdentity (EKS/IRSA-style token files). Each keeps a small orch_aws_client for STS
 * in the resolved region. Uses orch_aws_client, orch_aws_creds, jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_client.h"
#include "aws/orch_aws_creds_int.h"
#include "core/orch_alloc.h"
#include "core/orch_str.h"

struct sts_ctx {
  struct creds_opts opts;
  struct creds_transport tr;
  struct orch_aws_creds *base; /* AssumeRole: whose credentials sign the call */
  bool own_base;
  struct orch_aws_creds *anon; /* web identity: the STS call is unsigned, so these credentials are never used to sign */
  struct orch_aws_client *sts;
  char *role_arn, *external_id, *session_name, *token_file;
  int duration_s;
  char label[160];
};

static void sts_destroy(void *ctx) {
  struct sts_ctx *s = ctx;
  if (!s) return;
  orch_aws_client_free(s->sts);
  if (s->own_base) orch_aws_creds_free(s->base);
  orch_aws_creds_free(s->anon);
  creds_transport_release(&s->tr);
  creds_opts_free(&s->opts);
  orch_free(s->role_arn);
  orch_free(s->external_id);
  orch_free(s->session_name);
  orch_free(s->token_file);
  orch_free(s);
}

static int sts_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct sts_ctx *s = ctx;
  struct orch_buf token = ORCH_BUF_INIT(65536);
  struct orch_aws_error aerr;
  json_t *in = NULL, *res = NULL;
  int rc = 0;
  char session[128];
  if (s->session_name) snprintf(session, sizeof session, "%s", s->session_name);
  else snprintf(session, sizeof session, "drsorch-%lld", (long long)orch_clock_now_ms(s->opts.o.clock ? s->opts.o.clock : orch_clock_real()));
  if (s->token_file) {
    if ((rc = creds_read_token_file(s->token_file, "web identity token file", &token, err))) goto out;
    in = json_pack("{s:s, s:s, s:s}", "RoleArn", s->role_arn, "RoleSessionName", session, "WebIdentityToken",
                   orch_buf_cstr(&token));
  } else {
    in = json_pack("{s:s, s:s}", "RoleArn", s->role_arn, "RoleSessionName", session);
    if (in && s->external_id && json_object_set_new(in, "ExternalId", json_string(s->external_id))) {
      json_decref(in);
      in = NULL;
    }
  }
  if (in && s->duration_s && json_object_set_new(in, "DurationSeconds", json_integer(s->duration_s))) {
    json_decref(in);
    in = NULL;
  }
  if (!in) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  const char *op = s->token_file ? "AssumeRoleWithWebIdentity" : "AssumeRole";
  rc = orch_aws_call(s->sts, "sts", op, in, &res, &aerr, err);
  if (rc) {
    orch_error_prefix(err, "%s %s", op, s->role_arn);
    if (rc != ORCH_ENOMEM) rc = ORCH_ECREDS;
    if (err) err->code = rc;
    goto out;
  }
  rc = orch_aws_creds_from_json(json_object_get(res, "Credentials"), s->label, out, err);
out:
  if (token.data) memset(token.data, 0, token.len);
  orch_buf_free(&token);
  json_decref(in);
  json_decref(res);
  return rc;
}

static const struct orch_aws_creds_ops assume_ops = {.name = "assume-role", .fetch = sts_fetch, .destroy = sts_destroy};
static const struct orch_aws_creds_ops webid_ops = {.name = "web-identity", .fetch = sts_fetch, .destroy = sts_destroy};

static int dup(char **dst, const char *src) {
  *dst = src && *src ? orch_strdup(src) : NULL;
  return src && *src && !*dst ? ORCH_ENOMEM : 0;
}

/* Everything but the base: options, transport, strings, and the STS client (signing with `signer`). */
static int sts_setup(struct sts_ctx *s, const struct orch_aws_creds_options *o, struct orch_aws_creds *signer,
                     const char *role_arn, const char *session_name, struct orch_error *err) {
  int rc = creds_opts_copy(&s->opts, o, o && o->profile, err);
  if (rc) return rc;
  if ((rc = creds_transport_hold(&s->tr, s->opts.o.transport, false, err))) return rc;
  if (dup(&s->role_arn, role_arn) || dup(&s->session_name, session_name))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  char region[64];
  creds_sts_region(&s->opts.o, region);
  struct orch_aws_client_config cc = {.region = region, .creds = signer, .endpoint_url = s->opts.o.endpoint_url,
                                      .profiles = s->opts.o.profiles, .profile = orch_aws_profile_name(s->opts.o.profile),
                                      .transport = &s->tr.t, .clock = s->opts.o.clock, .sleep_ms = s->opts.o.sleep_ms,
                                      .sleep_ctx = s->opts.o.sleep_ctx, .no_ratelimit = true};
  return orch_aws_client_new(&cc, &s->sts, err);
}

int orch_aws_creds_assume_role(struct orch_aws_creds *base, bool own_base, const struct orch_aws_assume_role *role,
                               const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                               struct orch_error *err) {
  if (!base || !role || !role->role_arn || !orch_str_starts_with(role->role_arn, "arn:")) {
    if (own_base) orch_aws_creds_free(base);
    return orch_error_set(err, ORCH_EINVAL, "AssumeRole needs base credentials and a role ARN (arn:...), not '%s'",
                          role && role->role_arn ? role->role_arn : "");
  }
  struct sts_ctx *s = orch_calloc(1, sizeof *s);
  if (!s) {
    if (own_base) orch_aws_creds_free(base);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  s->base = base;
  s->own_base = own_base;
  s->duration_s = role->duration_s;
  snprintf(s->label, sizeof s->label, "assume-role %s", role->role_arn);
  int rc = sts_setup(s, o, base, role->role_arn, role->session_name, err);
  if (!rc && dup(&s->external_id, role->external_id)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (rc) {
    sts_destroy(s);
    return rc;
  }
  rc = orch_aws_creds_new(&assume_ops, s, orch_aws_creds_cache_clock(&s->opts.o), out);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}

int orch_aws_creds_web_identity(const char *token_file, const char *role_arn, const char *session_name,
                                const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                                struct orch_error *err) {
  if (!token_file || !*token_file || !role_arn || !orch_str_starts_with(role_arn, "arn:"))
    return orch_error_set(err, ORCH_ECONFIG, "web identity needs a token file and a role ARN (arn:...)");
  struct sts_ctx *s = orch_calloc(1, sizeof *s);
  if (!s) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  snprintf(s->label, sizeof s->label, "web-identity %s", role_arn);
  /* AssumeRoleWithWebIdentity is unsigned (authtype none); the client still wants a provider. */
  int rc = orch_aws_creds_static("ANONYMOUS", "ANONYMOUS", NULL, &s->anon);
  if (rc) rc = orch_error_set(err, rc, "out of memory");
  if (!rc) rc = sts_setup(s, o, s->anon, role_arn, session_name, err);
  if (!rc && dup(&s->token_file, token_file)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (rc) {
    sts_destroy(s);
    return rc;
  }
  rc = orch_aws_creds_new(&webid_ops, s, orch_aws_creds_cache_clock(&s->opts.o), out);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}

/* ---- web identity from the environment (a chain link) ---- */

struct webid_env_ctx {
  struct creds_opts opts;
  struct orch_aws_creds *inner;
};

static int webid_env_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct webid_env_ctx *w = ctx;
  if (!w->inner) {
    const char *file = getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), *arn = getenv("AWS_ROLE_ARN");
    if (!file || !*file || !arn || !*arn)
      return orch_error_set(err, ORCH_ENOTFOUND, "AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set");
    int rc = orch_aws_creds_web_identity(file, arn, getenv("AWS_ROLE_SESSION_NAME"), &w->opts.o, &w->inner, err);
    if (rc) return rc;
  }
  return creds_get_raw(w->inner, out, err);
}

static void webid_env_destroy(void *ctx) {
  struct webid_env_ctx *w = ctx;
  if (!w) return;
  orch_aws_creds_free(w->inner);
  creds_opts_free(&w->opts);
  orch_free(w);
}

static const struct orch_aws_creds_ops webid_env_ops = {.name = "web-identity-env", .fetch = webid_env_fetch,
                                                        .destroy = webid_env_destroy};

int creds_web_identity_env_new(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                               struct orch_error *err) {
  struct webid_env_ctx *w = orch_calloc(1, sizeof *w);
  if (!w) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = creds_opts_copy(&w->opts, o, false, err);
  if (rc) {
    orch_free(w);
    return rc;
  }
  rc = orch_aws_creds_new(&webid_env_ops, w, orch_aws_creds_cache_clock(&w->opts.o), out);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}
