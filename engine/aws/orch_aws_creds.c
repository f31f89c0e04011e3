/* orch_aws_creds: the provider cache (refresh early, one refresh at a time, fall back to still-valid
 * credentials), static and environment sources, the default chain, and the JSON credentials reader
 * shared by ECS, IMDS and STS. Uses orch_clock, orch_time, orch_log, pthreads. */
#include "aws/orch_aws_creds.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_creds_int.h"
#include "aws/orch_aws_curl.h"
#include "aws/orch_aws_endpoint.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

struct orch_aws_creds {
  const struct orch_aws_creds_ops *ops;
  void *ctx;
  const struct orch_clock *clock;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool have, refreshing;
  struct orch_aws_credentials cached;
};

void orch_aws_credentials_clear(struct orch_aws_credentials *c) {
  if (c) OPENSSL_cleanse(c, sizeof *c);
}

int orch_aws_creds_new(const struct orch_aws_creds_ops *ops, void *ctx, const struct orch_clock *clock,
                       struct orch_aws_creds **out) {
  struct orch_aws_creds *p = orch_calloc(1, sizeof *p);
  if (!p) goto fail;
  if (pthread_mutex_init(&p->mu, NULL)) goto fail;
  if (pthread_cond_init(&p->cv, NULL)) {
    pthread_mutex_destroy(&p->mu);
    goto fail;
  }
  p->ops = ops;
  p->ctx = ctx;
  p->clock = clock ? clock : orch_clock_real();
  *out = p;
  return 0;
fail:
  orch_free(p);
  if (ops->destroy) ops->destroy(ctx);
  return ORCH_ENOMEM;
}

void orch_aws_creds_free(struct orch_aws_creds *p) {
  if (!p) return;
  if (p->ops->destroy) p->ops->destroy(p->ctx);
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  orch_aws_credentials_clear(&p->cached);
  orch_free(p);
}

const char *orch_aws_creds_name(const struct orch_aws_creds *p) { return p->ops->name; }

void orch_aws_creds_invalidate(struct orch_aws_creds *p) {
  pthread_mutex_lock(&p->mu);
  p->have = false;
  orch_aws_credentials_clear(&p->cached);
  pthread_mutex_unlock(&p->mu);
}

/* Under p->mu. */
static bool fresh(const struct orch_aws_creds *p, int64_t now) {
  return p->have && (p->cached.expires_ms == 0 || now < p->cached.expires_ms - ORCH_AWS_CREDS_REFRESH_EARLY_MS);
}
static bool usable(const struct orch_aws_creds *p, int64_t now) {
  return p->have && (p->cached.expires_ms == 0 || now < p->cached.expires_ms);
}

int creds_get_raw(struct orch_aws_creds *p, struct orch_aws_credentials *out, struct orch_error *err) {
  struct orch_aws_credentials fetched;
  struct orch_error ferr = {0};
  pthread_mutex_lock(&p->mu);
  for (;;) {
    int64_t now = orch_clock_now_ms(p->clock);
    if (fresh(p, now) || (p->refreshing && usable(p, now))) {
      *out = p->cached;
      pthread_mutex_unlock(&p->mu);
      return 0;
    }
    if (!p->refreshing) break;
    pthread_cond_wait(&p->cv, &p->mu);
  }
  p->refreshing = true;
  pthread_mutex_unlock(&p->mu);

  memset(&fetched, 0, sizeof fetched);
  int rc = p->ops->fetch(p->ctx, &fetched, &ferr);
  if (!rc && (!fetched.access_key_id[0] || !fetched.secret_access_key[0]))
    rc = orch_error_set(&ferr, ORCH_ECREDS, "%s returned credentials without a key id or secret", p->ops->name);

  pthread_mutex_lock(&p->mu);
  p->refreshing = false;
  int64_t now = orch_clock_now_ms(p->clock);
  if (!rc) {
    p->cached = fetched;
    p->have = true;
    *out = fetched;
  } else if (usable(p, now)) {
    orch_log_warn("refreshing AWS credentials from %s failed (%s); using the current ones until they expire",
                  p->ops->name, ferr.message);
    *out = p->cached;
    rc = 0;
  }
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  orch_aws_credentials_clear(&fetched);
  if (rc && err) *err = ferr;
  if (rc && err) err->code = rc;
  return rc;
}

int orch_aws_creds_get(struct orch_aws_creds *p, struct orch_aws_credentials *out, struct orch_error *err) {
  int rc = creds_get_raw(p, out, err);
  if (rc == ORCH_ENOTFOUND) {
    rc = ORCH_ECREDS;
    if (err) err->code = rc;
  }
  return rc;
}

/* ---- static ---- */

struct static_ctx {
  struct orch_aws_credentials c;
};

static int static_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  (void)err;
  *out = ((struct static_ctx *)ctx)->c;
  return 0;
}

static void static_destroy(void *ctx) {
  if (!ctx) return;
  OPENSSL_cleanse(ctx, sizeof(struct static_ctx));
  orch_free(ctx);
}

static const struct orch_aws_creds_ops static_ops = {.name = "static", .fetch = static_fetch, .destroy = static_destroy};

static bool fits(const char *s, size_t cap) { return s && strlen(s) < cap; }

int orch_aws_creds_static(const char *access_key_id, const char *secret_access_key, const char *session_token,
                          struct orch_aws_creds **out) {
  if (!fits(access_key_id, 128) || !*access_key_id || !fits(secret_access_key, 128) || !*secret_access_key ||
      (session_token && !fits(session_token, ORCH_AWS_CREDS_TOKEN_MAX)))
    return ORCH_EINVAL;
  struct static_ctx *s = orch_calloc(1, sizeof *s);
  if (!s) return ORCH_ENOMEM;
  snprintf(s->c.access_key_id, sizeof s->c.access_key_id, "%s", access_key_id);
  snprintf(s->c.secret_access_key, sizeof s->c.secret_access_key, "%s", secret_access_key);
  snprintf(s->c.session_token, sizeof s->c.session_token, "%s", session_token ? session_token : "");
  snprintf(s->c.source, sizeof s->c.source, "static");
  return orch_aws_creds_new(&static_ops, s, NULL, out);
}

/* ---- environment ---- */

static int env_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  (void)ctx;
  const char *id = getenv("AWS_ACCESS_KEY_ID"), *secret = getenv("AWS_SECRET_ACCESS_KEY");
  const char *token = getenv("AWS_SESSION_TOKEN");
  if ((!id || !*id) && (!secret || !*secret)) return orch_error_set(err, ORCH_ENOTFOUND, "AWS_ACCESS_KEY_ID is not set");
  if (!id || !*id || !secret || !*secret)
    return orch_error_set(err, ORCH_ECREDS, "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together");
  if (!fits(id, sizeof out->access_key_id) || !fits(secret, sizeof out->secret_access_key) ||
      (token && !fits(token, sizeof out->session_token)))
    return orch_error_set(err, ORCH_ECREDS, "credentials in the environment are too long");
  snprintf(out->access_key_id, sizeof out->access_key_id, "%s", id);
  snprintf(out->secret_access_key, sizeof out->secret_access_key, "%s", secret);
  snprintf(out->session_token, sizeof out->session_token, "%s", token ? token : "");
  snprintf(out->source, sizeof out->source, "environment");
  return 0;
}

static const struct orch_aws_creds_ops env_ops = {.name = "environment", .fetch = env_fetch};

const struct orch_clock *orch_aws_creds_cache_clock(const struct orch_aws_creds_options *o) {
  return o->expiry_clock ? o->expiry_clock : o->clock;
}

int orch_aws_creds_env(const struct orch_clock *clock, struct orch_aws_creds **out) {
  return orch_aws_creds_new(&env_ops, NULL, clock, out);
}

/* ---- JSON credentials (ECS, IMDS, STS) ---- */

int orch_aws_creds_from_json(const json_t *obj, const char *what, struct orch_aws_credentials *out,
                             struct orch_error *err) {
  if (!json_is_object(obj)) return orch_error_set(err, ORCH_ECREDS, "%s: credentials are not a JSON object", what);
  const char *id = json_string_value(json_object_get(obj, "AccessKeyId"));
  const char *secret = json_string_value(json_object_get(obj, "SecretAccessKey"));
  const char *token = json_string_value(json_object_get(obj, "Token"));
  if (!token) token = json_string_value(json_object_get(obj, "SessionToken"));
  const char *exp = json_string_value(json_object_get(obj, "Expiration"));
  const char *code = json_string_value(json_object_get(obj, "Code"));
  if (code && strcmp(code, "Success") != 0)
    return orch_error_set(err, ORCH_ECREDS, "%s: credentials not available (Code %s: %s)", what, code,
                          json_string_value(json_object_get(obj, "Message")) ? json_string_value(json_object_get(obj, "Message")) : "");
  if (!id || !*id || !secret || !*secret)
    return orch_error_set(err, ORCH_ECREDS, "%s: response lacks AccessKeyId or SecretAccessKey", what);
  if (!fits(id, sizeof out->access_key_id) || !fits(secret, sizeof out->secret_access_key) ||
      (token && !fits(token, sizeof out->session_token)))
    return orch_error_set(err, ORCH_ECREDS, "%s: credentials are too long", what);
  int64_t expires = 0;
  if (exp && orch_time_parse_iso8601(exp, &expires))
    return orch_error_set(err, ORCH_ECREDS, "%s: Expiration '%.40s' is not an ISO-8601 time", what, exp);
  snprintf(out->access_key_id, sizeof out->access_key_id, "%s", id);
  snprintf(out->secret_access_key, sizeof out->secret_access_key, "%s", secret);
  snprintf(out->session_token, sizeof out->session_token, "%s", token ? token : "");
  out->expires_ms = expires;
  snprintf(out->source, sizeof out->source, "%s", what);
  return 0;
}

/* ---- the default chain ---- */

#define CHAIN_MAX 8

struct chain_ctx {
  struct orch_aws_creds *links[CHAIN_MAX];
  size_t n;
  struct orch_http_transport owned[2]; /* STS and metadata transports the chain created */
  size_t nowned;
  struct orch_aws_profiles *profiles;  /* the shared files, read once for every link */
};

static int chain_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct chain_ctx *c = ctx;
  struct orch_buf tried = ORCH_BUF_INIT(1024);
  int rc = ORCH_ENOTFOUND;
  for (size_t i = 0; i < c->n; i++) {
    struct orch_error e = {0};
    rc = creds_get_raw(c->links[i], out, &e);
    if (!rc) break;
    if (rc != ORCH_ENOTFOUND) { /* configured but failing: the user meant this source */
      if (err) *err = e;
      orch_error_prefix(err, "credentials from %s", orch_aws_creds_name(c->links[i]));
      break;
    }
    /* The list of what was tried only feeds the final message; a full buffer just shortens it. */
    if (orch_buf_printf(&tried, "%s%s (%s)", tried.len ? "; " : "", orch_aws_creds_name(c->links[i]), e.message))
      orch_buf_reset(&tried);
  }
  if (rc == ORCH_ENOTFOUND)
    rc = orch_error_set(err, ORCH_ECREDS,
                        "no AWS credentials found; tried: %s. Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
                        "configure a profile (aws configure), or run where a role is available",
                        orch_buf_cstr(&tried));
  orch_buf_free(&tried);
  return rc;
}

static void chain_destroy(void *ctx) {
  struct chain_ctx *c = ctx;
  if (!c) return;
  for (size_t i = 0; i < c->n; i++) orch_aws_creds_free(c->links[i]);
  for (size_t i = 0; i < c->nowned; i++) c->owned[i].ops->destroy(c->owned[i].ctx);
  orch_aws_profiles_free(c->profiles);
  orch_free(c);
}

static const struct orch_aws_creds_ops chain_ops = {.name = "chain", .fetch = chain_fetch, .destroy = chain_destroy};

int orch_aws_creds_chain(const struct orch_aws_creds_options *o, struct orch_aws_creds **out,
                         struct orch_error *err) {
  struct orch_aws_creds_options local = o ? *o : (struct orch_aws_creds_options){0};
  struct chain_ctx *c = orch_calloc(1, sizeof *c);
  int rc = 0;
  if (!c) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  /* One STS and one metadata transport for every link, created here when the caller gave none. */
  if (!local.transport) {
    struct creds_transport h;
    if ((rc = creds_transport_hold(&h, NULL, false, err))) goto fail;
    c->owned[c->nowned++] = h.t;
    local.transport = &c->owned[c->nowned - 1];
  }
  if (!local.metadata_transport) {
    struct creds_transport h;
    if ((rc = creds_transport_hold(&h, NULL, true, err))) goto fail;
    c->owned[c->nowned++] = h.t;
    local.metadata_transport = &c->owned[c->nowned - 1];
  }
  if (!local.profiles) {
    if ((rc = orch_aws_profiles_load(NULL, NULL, &c->profiles, err))) goto fail;
    local.profiles = c->profiles;
  }
  bool explicit_profile = o && o->profile && *o->profile;
  if (!explicit_profile && (rc = orch_aws_creds_env(orch_aws_creds_cache_clock(&local), &c->links[c->n++])))
    goto fail_oom;
  if ((rc = creds_profile_new(&local, CREDS_PROFILE_ROLE, &c->links[c->n++], err))) goto fail_n;
  if ((rc = creds_web_identity_env_new(&local, &c->links[c->n++], err))) goto fail_n;
  if ((rc = creds_profile_new(&local, CREDS_PROFILE_OTHER, &c->links[c->n++], err))) goto fail_n;
  if ((rc = orch_aws_creds_ecs(&local, &c->links[c->n++], err))) goto fail_n;
  if ((rc = orch_aws_creds_imds(&local, &c->links[c->n++], err))) goto fail_n;
  return orch_aws_creds_new(&chain_ops, c, orch_aws_creds_cache_clock(&local), out);
fail_oom:
  orch_error_set(err, rc, "creating the credentials chain: %s", orch_error_str(rc));
fail_n:
  c->n--; /* the failed constructor left no provider in its slot */
fail:
  chain_destroy(c);
  return rc;
}

/* ---- shared helpers ---- */

int creds_transport_hold(struct creds_transport *h, struct orch_http_transport *given, bool metadata,
                         struct orch_error *err) {
  if (given) {
    h->t = *given;
    h->owned = false;
    return 0;
  }
  struct orch_aws_curl_config cfg = {0};
  if (metadata) {
    cfg.connect_timeout_ms = 1000;
    cfg.timeout_ms = 2000;
    cfg.max_response_bytes = 64 * 1024;
  }
  int rc = orch_aws_curl_new(&cfg, &h->t, err);
  h->owned = rc == 0;
  return rc;
}

void creds_transport_release(struct creds_transport *h) {
  if (h && h->owned) h->t.ops->destroy(h->t.ctx);
  if (h) h->owned = false;
}

static int dup_opt(char **dst, const char *src) {
  *dst = NULL;
  if (!src) return 0;
  *dst = orch_strdup(src);
  return *dst ? 0 : ORCH_ENOMEM;
}

int creds_opts_copy(struct creds_opts *dst, const struct orch_aws_creds_options *src, bool load_profiles,
                    struct orch_error *err) {
  memset(dst, 0, sizeof *dst);
  if (src) dst->o = *src;
  int rc = dup_opt(&dst->profile, dst->o.profile);
  if (!rc) rc = dup_opt(&dst->region, dst->o.region);
  if (!rc) rc = dup_opt(&dst->endpoint_url, dst->o.endpoint_url);
  if (!rc) rc = dup_opt(&dst->ecs_host, dst->o.ecs_host);
  if (!rc) rc = dup_opt(&dst->imds_endpoint, dst->o.imds_endpoint);
  if (rc) {
    creds_opts_free(dst);
    return orch_error_set(err, rc, "out of memory");
  }
  dst->o.profile = dst->profile;
  dst->o.region = dst->region;
  dst->o.endpoint_url = dst->endpoint_url;
  dst->o.ecs_host = dst->ecs_host;
  dst->o.imds_endpoint = dst->imds_endpoint;
  if (load_profiles && !dst->o.profiles) {
    if ((rc = orch_aws_profiles_load(NULL, NULL, &dst->owned_profiles, err))) {
      creds_opts_free(dst);
      return rc;
    }
    dst->o.profiles = dst->owned_profiles;
  }
  return 0;
}

void creds_opts_free(struct creds_opts *o) {
  if (!o) return;
  orch_free(o->profile);
  orch_free(o->region);
  orch_free(o->endpoint_url);
  orch_free(o->ecs_host);
  orch_free(o->imds_endpoint);
  orch_aws_profiles_free(o->owned_profiles);
  memset(o, 0, sizeof *o);
}

int creds_read_token_file(const char *path, const char *what, struct orch_buf *out, struct orch_error *err) {
  FILE *f = fopen(path, "rb");
  if (!f) return orch_error_set(err, ORCH_ECREDS, "cannot read the %s %s", what, path);
  char chunk[4096];
  size_t n;
  int rc = 0;
  while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0) rc = orch_buf_append(out, chunk, n);
  fclose(f);
  if (rc) return orch_error_set(err, ORCH_ECREDS, "the %s %s is too large", what, path);
  struct orch_strview v = orch_str_trim((struct orch_strview){orch_buf_cstr(out), out->len});
  if (out->data) memmove(out->data, v.p, v.n);
  orch_buf_truncate(out, v.n);
  if (!v.n) return orch_error_set(err, ORCH_ECREDS, "the %s %s is empty", what, path);
  return 0;
}

void creds_sts_region(const struct orch_aws_creds_options *o, char out[64]) {
  struct orch_error ignored;
  const char *profile = orch_aws_profile_name(o->profile);
  if (orch_aws_region_resolve(o->region, o->profiles, profile, "us-east-1", out, &ignored))
    snprintf(out, 64, "us-east-1");
}
