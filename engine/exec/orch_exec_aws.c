/* orch_exec_aws: clients per account+region behind the engine's AWS ops table, cross-account through
 * AssumeRole. Uses orch_aws_client, orch_aws_creds, orch_aws_endpoint, pthreads. */
#include "exec/orch_exec_aws.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_endpoint.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"

#define DEFAULT_ROLE "DRSOrchestratorCrossAccount"

struct scope {
  char account[16];
  char region[32];
  struct orch_aws_creds *creds; /* owned when `own_creds` */
  bool own_creds;
  struct orch_aws_client *client;
};

struct orch_exec_aws {
  pthread_mutex_t mu;
  struct orch_aws_creds *base;
  char home[16];
  char endpoint[512];
  char role[128];
  char external_id[256];
  const struct orch_clock *clock;
  const struct orch_clock *sign_clock;
  bool no_ratelimit;
  uint64_t jitter;          /* xorshift state for deterministic retry jitter; 0 = the client's own */
  struct scope *scopes;
  size_t n, cap;
};

/* Deterministic jitter for a simulation: the same seed, the same backoffs. Guarded by mu. */
static double jitter01(void *ctx) {
  struct orch_exec_aws *a = ctx;
  pthread_mutex_lock(&a->mu);
  uint64_t x = a->jitter;
  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  a->jitter = x;
  pthread_mutex_unlock(&a->mu);
  return (double)(x >> 11) / (double)(1ULL << 53);
}

int orch_exec_aws_new(const struct orch_exec_aws_config *cfg, struct orch_exec_aws **out, struct orch_error *err) {
  if (!cfg->base) return orch_error_set(err, ORCH_EINVAL, "AWS access needs credentials");
  struct orch_exec_aws *a = orch_calloc(1, sizeof *a);
  if (!a) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  pthread_mutex_init(&a->mu, NULL);
  a->base = cfg->base;
  snprintf(a->home, sizeof a->home, "%s", cfg->home_account ? cfg->home_account : "");
  snprintf(a->endpoint, sizeof a->endpoint, "%s", cfg->endpoint_url ? cfg->endpoint_url : "");
  snprintf(a->role, sizeof a->role, "%s", cfg->role_name && *cfg->role_name ? cfg->role_name : DEFAULT_ROLE);
  snprintf(a->external_id, sizeof a->external_id, "%s", cfg->external_id ? cfg->external_id : "");
  a->clock = cfg->clock ? cfg->clock : orch_clock_real();
  a->sign_clock = cfg->sign_clock ? cfg->sign_clock : orch_clock_real();
  a->no_ratelimit = cfg->no_ratelimit;
  a->jitter = cfg->jitter_seed ? cfg->jitter_seed * 0x9E3779B97F4A7C15ULL | 1 : 0;
  *out = a;
  return 0;
}

void orch_exec_aws_free(struct orch_exec_aws *a) {
  if (!a) return;
  for (size_t i = 0; i < a->n; i++) {
    orch_aws_client_free(a->scopes[i].client);
    if (a->scopes[i].own_creds) orch_aws_creds_free(a->scopes[i].creds);
  }
  orch_free(a->scopes);
  pthread_mutex_destroy(&a->mu);
  orch_free(a);
}

/* Every backoff and Retry-After sleeps on the engine's clock. */
static void engine_sleep(void *ctx, int64_t ms) { orch_clock_sleep_ms(ctx, ms); }

static int client_new(struct orch_exec_aws *a, const char *region, struct orch_aws_creds *creds,
                      struct orch_aws_client **out, struct orch_error *err) {
  struct orch_aws_client_config cc = {.region = region, .creds = creds,
                                      .endpoint_url = a->endpoint[0] ? a->endpoint : NULL,
                                      .clock = a->sign_clock, .sleep_ms = engine_sleep,
                                      .sleep_ctx = (void *)(uintptr_t)a->clock, .no_ratelimit = a->no_ratelimit};
  if (a->jitter) {
    cc.retry.rand01 = jitter01;
    cc.retry.rand_ctx = a;
  }
  return orch_aws_client_new(&cc, out, err);
}

/* The home account, learnt once from sts:GetCallerIdentity when not configured (no lock held). */
static int home_account(struct orch_exec_aws *a, const char *region, char home[16], struct orch_error *err) {
  pthread_mutex_lock(&a->mu);
  snprintf(home, 16, "%s", a->home);
  pthread_mutex_unlock(&a->mu);
  if (home[0]) return 0;
  struct orch_aws_client *c = NULL;
  json_t *out = NULL;
  int rc = client_new(a, region, a->base, &c, err);
  if (!rc) rc = orch_aws_call(c, "sts", "GetCallerIdentity", NULL, &out, NULL, err);
  const char *acct = json_string_value(json_object_get(out, "Account"));
  if (!rc && acct) {
    snprintf(home, 16, "%s", acct);
    pthread_mutex_lock(&a->mu);
    snprintf(a->home, sizeof a->home, "%s", acct);
    pthread_mutex_unlock(&a->mu);
  } else if (!rc) {
    rc = orch_error_set(err, ORCH_EAWS, "sts:GetCallerIdentity returned no account");
  }
  json_decref(out);
  orch_aws_client_free(c);
  return rc;
}

static struct orch_aws_client *scope_find(struct orch_exec_aws *a, const char *account, const char *region) {
  for (size_t i = 0; i < a->n; i++)
    if (strcmp(a->scopes[i].account, account) == 0 && strcmp(a->scopes[i].region, region) == 0) return a->scopes[i].client;
  return NULL;
}

/* A new account+region: credentials (AssumeRole for another account) and a client, built without the
 * lock; a second thread racing for the same scope keeps the first one added. */
static int scope_build(struct orch_exec_aws *a, const char *account, const char *region, struct scope *sc,
                       struct orch_error *err) {
  char home[16] = "";
  snprintf(sc->account, sizeof sc->account, "%s", account);
  snprintf(sc->region, sizeof sc->region, "%s", region);
  int rc = *account ? home_account(a, region, home, err) : 0;
  if (rc) return rc;
  if (!*account || strcmp(account, home) == 0) {
    sc->creds = a->base;
  } else {
    const struct orch_aws_partition *part = orch_aws_partition_of(region);
    char arn[256];
    snprintf(arn, sizeof arn, "arn:%s:iam::%s:role/%s", part ? part->name : "aws", account, a->role);
    struct orch_aws_assume_role role = {.role_arn = arn, .external_id = a->external_id[0] ? a->external_id : NULL,
                                        .session_name = "drsorch"};
    /* STS requests are signed on the real clock; the credentials expire on the engine's (the simulator's). */
    struct orch_aws_creds_options o = {.region = region, .endpoint_url = a->endpoint[0] ? a->endpoint : NULL,
                                       .clock = a->sign_clock, .expiry_clock = a->clock};
    rc = orch_aws_creds_assume_role(a->base, false, &role, &o, &sc->creds, err);
    if (rc) return rc;
    sc->own_creds = true;
  }
  rc = client_new(a, region, sc->creds, &sc->client, err);
  if (rc && sc->own_creds) orch_aws_creds_free(sc->creds);
  return rc;
}

static void scope_drop(struct scope *sc) {
  orch_aws_client_free(sc->client);
  if (sc->own_creds) orch_aws_creds_free(sc->creds);
}

static int scope_get(struct orch_exec_aws *a, const char *account, const char *region, struct orch_aws_client **out,
                     struct orch_error *err) {
  pthread_mutex_lock(&a->mu);
  *out = scope_find(a, account, region);
  pthread_mutex_unlock(&a->mu);
  if (*out) return 0;
  struct scope sc = {0};
  int rc = scope_build(a, account, region, &sc, err);
  if (rc) return rc;
  pthread_mutex_lock(&a->mu);
  if ((*out = scope_find(a, account, region))) { /* another thread won the race */
    pthread_mutex_unlock(&a->mu);
    scope_drop(&sc);
    return 0;
  }
  if (a->n == a->cap) {
    size_t cap = a->cap ? a->cap * 2 : 4;
    struct scope *s = orch_realloc(a->scopes, cap * sizeof *s);
    if (!s) {
      pthread_mutex_unlock(&a->mu);
      scope_drop(&sc);
      return orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
    a->scopes = s;
    a->cap = cap;
  }
  a->scopes[a->n++] = sc;
  *out = sc.client;
  pthread_mutex_unlock(&a->mu);
  return 0;
}

static int aws_call(void *ctx, const char *account, const char *region, const char *service, const char *operation,
                    const json_t *input, bool paginate, json_t **output, struct orch_aws_error *aerr,
                    struct orch_error *err) {
  struct orch_exec_aws *a = ctx;
  struct orch_aws_client *c = NULL;
  int rc = scope_get(a, account ? account : "", region, &c, err);
  if (rc) return rc;
  return paginate ? orch_aws_paginate(c, service, operation, input, output, aerr, err)
                  : orch_aws_call(c, service, operation, input, output, aerr, err);
}

static const struct orch_exec_aws_ops exec_aws_ops = {.call = aws_call};

const struct orch_exec_aws_ops *orch_exec_aws_ops(void) { return &exec_aws_ops; }

json_t *orch_exec_aws_stats(struct orch_exec_aws *a) {
  json_t *out = json_object();
  pthread_mutex_lock(&a->mu);
  for (size_t i = 0; out && i < a->n; i++) {
    char key[64];
    snprintf(key, sizeof key, "%s/%s", a->scopes[i].account[0] ? a->scopes[i].account : a->home, a->scopes[i].region);
    json_t *s = orch_aws_client_stats_json(a->scopes[i].client);
    if (s && json_object_set_new(out, key, s)) {
      json_decref(out);
      out = NULL;
    }
  }
  pthread_mutex_unlock(&a->mu);
  return out;
}
