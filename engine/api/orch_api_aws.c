/* orch_api_aws: routing AWS calls by account between the convention and the stored target accounts;
 * role checks for new accounts. Uses orch_exec_aws, orch_aws_creds, orch_aws_client, orch_store, pthreads. */
#include "api/orch_api_aws.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"

struct target {
  char account[16];
  struct orch_aws_creds *creds; /* assumes the account's stored role */
  struct orch_exec_aws *aws;
  struct target *next;
};

struct orch_api_aws {
  struct orch_api_aws_config cfg;
  char home[16], region[32], endpoint[512], role[128], external_id[256];
  struct orch_exec_aws *def;
  pthread_mutex_t mu;
  struct target *targets; /* loaded from the store */
  struct target *retired; /* replaced ones: a call may still use them; freed with the api */
  bool loaded;
};

int orch_api_aws_new(const struct orch_api_aws_config *cfg, struct orch_api_aws **out, struct orch_error *err) {
  struct orch_api_aws *a = orch_calloc(1, sizeof *a);
  if (!a) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  a->cfg = *cfg;
  snprintf(a->home, sizeof a->home, "%s", cfg->home_account ? cfg->home_account : "");
  snprintf(a->region, sizeof a->region, "%s", cfg->region && *cfg->region ? cfg->region : "us-east-1");
  snprintf(a->endpoint, sizeof a->endpoint, "%s", cfg->endpoint_url ? cfg->endpoint_url : "");
  snprintf(a->role, sizeof a->role, "%s", cfg->role_name ? cfg->role_name : "");
  snprintf(a->external_id, sizeof a->external_id, "%s", cfg->external_id ? cfg->external_id : "");
  pthread_mutex_init(&a->mu, NULL);
  struct orch_exec_aws_config ec = {.base = cfg->base, .home_account = a->home,
                                    .endpoint_url = a->endpoint[0] ? a->endpoint : NULL,
                                    .role_name = a->role[0] ? a->role : NULL,
                                    .external_id = a->external_id[0] ? a->external_id : NULL, .clock = cfg->clock,
                                    .no_ratelimit = cfg->no_ratelimit};
  int rc = orch_exec_aws_new(&ec, &a->def, err);
  if (rc) {
    orch_api_aws_free(a);
    return rc;
  }
  *out = a;
  return 0;
}

static void targets_free(struct target *t) {
  while (t) {
    struct target *next = t->next;
    orch_exec_aws_free(t->aws);
    orch_aws_creds_free(t->creds);
    orch_free(t);
    t = next;
  }
}

void orch_api_aws_free(struct orch_api_aws *a) {
  if (!a) return;
  targets_free(a->targets);
  targets_free(a->retired);
  orch_exec_aws_free(a->def);
  pthread_mutex_destroy(&a->mu);
  orch_free(a);
}

/* The access to one target account, or NULL with *rc and err filled. */
static struct target *target_new(struct orch_api_aws *a, const struct orch_store_account *acc, int *rc,
                                 struct orch_error *err) {
  struct target *t = orch_calloc(1, sizeof *t);
  if (!t) {
    *rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    return NULL;
  }
  snprintf(t->account, sizeof t->account, "%s", acc->account_id);
  struct orch_aws_assume_role role = {.role_arn = acc->role_arn,
                                      .external_id = acc->external_id[0] ? acc->external_id : NULL};
  struct orch_aws_creds_options co = {.region = a->region, .endpoint_url = a->endpoint[0] ? a->endpoint : NULL,
                                      .clock = a->cfg.clock};
  *rc = orch_aws_creds_assume_role(a->cfg.base, false, &role, &co, &t->creds, err);
  struct orch_exec_aws_config ec = {.base = t->creds, .home_account = acc->account_id,
                                    .endpoint_url = a->endpoint[0] ? a->endpoint : NULL, .clock = a->cfg.clock,
                                    .no_ratelimit = a->cfg.no_ratelimit};
  if (!*rc) *rc = orch_exec_aws_new(&ec, &t->aws, err);
  if (*rc) {
    targets_free(t);
    return NULL;
  }
  return t;
}

/* Load every stored target account (caller holds mu). */
static int load(struct orch_api_aws *a, struct orch_error *err) {
  char cursor[ORCH_STORE_CURSOR_MAX + 1] = "";
  struct target *list = NULL;
  int rc = 0;
  do {
    struct orch_store_account_list l = {0};
    struct orch_store_page page = {.limit = ORCH_STORE_PAGE_MAX, .cursor = cursor[0] ? cursor : NULL};
    if ((rc = orch_store_account_list(a->cfg.store, &page, &l, err))) break;
    for (size_t i = 0; !rc && i < l.count; i++) {
      struct target *t = target_new(a, &l.items[i], &rc, err);
      if (t) t->next = list, list = t;
    }
    snprintf(cursor, sizeof cursor, "%s", l.next_cursor);
    orch_store_account_list_release(&l);
  } while (!rc && cursor[0]);
  if (rc) {
    targets_free(list);
    return rc;
  }
  a->targets = list;
  a->loaded = true;
  return 0;
}

/* The orch_exec_aws that reaches `account`. */
static struct orch_exec_aws *route(struct orch_api_aws *a, const char *account, struct orch_error *err, int *rc) {
  struct orch_exec_aws *use = a->def;
  *rc = 0;
  pthread_mutex_lock(&a->mu);
  if (!a->loaded) *rc = load(a, err);
  for (struct target *t = a->targets; !*rc && account && *account && t; t = t->next)
    if (strcmp(t->account, account) == 0) use = t->aws;
  pthread_mutex_unlock(&a->mu);
  return *rc ? NULL : use;
}

static int aws_call(void *ctx, const char *account, const char *region, const char *service, const char *operation,
                    const json_t *input, bool paginate, json_t **output, struct orch_aws_error *aerr,
                    struct orch_error *err) {
  struct orch_api_aws *a = ctx;
  int rc;
  struct orch_exec_aws *use = route(a, account, err, &rc);
  if (!use) return rc;
  return orch_exec_aws_ops()->call(use, account, region && *region ? region : a->region, service, operation, input,
                                   paginate, output, aerr, err);
}

static int aws_check_role(void *ctx, const char *account, const char *role_arn, const char *external_id,
                          char *caller_arn, size_t n, struct orch_aws_error *aerr, struct orch_error *err) {
  struct orch_api_aws *a = ctx;
  struct orch_store_account acc = {0};
  snprintf(acc.account_id, sizeof acc.account_id, "%s", account);
  snprintf(acc.role_arn, sizeof acc.role_arn, "%s", role_arn);
  snprintf(acc.external_id, sizeof acc.external_id, "%s", external_id ? external_id : "");
  json_t *out = NULL;
  int rc = 0;
  struct target *t = target_new(a, &acc, &rc, err);
  if (t) rc = orch_exec_aws_ops()->call(t->aws, account, a->region, "sts", "GetCallerIdentity", NULL, false, &out,
                                          aerr, err);
  const char *got = json_string_value(json_object_get(out, "Account"));
  if (!rc && (!got || strcmp(got, account) != 0))
    rc = orch_error_set(err, ORCH_EAUTH, "the role %s answers for account %s, not %s", role_arn, got ? got : "?", account);
  if (!rc) snprintf(caller_arn, n, "%s", json_string_value(json_object_get(out, "Arn")) ? json_string_value(json_object_get(out, "Arn")) : "");
  json_decref(out);
  targets_free(t);
  return rc;
}

static void aws_accounts_changed(void *ctx) {
  struct orch_api_aws *a = ctx;
  pthread_mutex_lock(&a->mu);
  struct target *old = a->targets;
  while (old) { /* keep them until the end: an in-flight call may hold one */
    struct target *next = old->next;
    old->next = a->retired;
    a->retired = old;
    old = next;
  }
  a->targets = NULL;
  a->loaded = false;
  pthread_mutex_unlock(&a->mu);
}

static json_t *aws_stats(void *ctx) {
  struct orch_api_aws *a = ctx;
  json_t *all = orch_exec_aws_stats(a->def);
  pthread_mutex_lock(&a->mu);
  for (struct target *t = a->targets; all && t; t = t->next) {
    json_t *s = orch_exec_aws_stats(t->aws);
    if (s) json_object_update(all, s);
    json_decref(s);
  }
  pthread_mutex_unlock(&a->mu);
  return all;
}

static const struct orch_api_aws_ops api_ops = {
  .call = aws_call,
  .check_role = aws_check_role,
  .accounts_changed = aws_accounts_changed,
  .stats = aws_stats,
};

static const struct orch_exec_aws_ops exec_ops = {.call = aws_call};

const struct orch_api_aws_ops *orch_api_aws_ops(void) { return &api_ops; }
const struct orch_exec_aws_ops *orch_api_aws_exec_ops(void) { return &exec_ops; }
