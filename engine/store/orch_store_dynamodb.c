/* orch_store_dynamodb: opening and closing the DynamoDB backend: the store spec and its options, the
 * region, credentials and AWS client, the table's check (or creation, for local use), the layout version
 * item, backend facts for orch_store_info, and the ops table. Uses orch_aws (client, credentials,
 * profiles, endpoints), orch_alloc, orch_str, orch_store_dynamodb_int. */
#include "store/orch_store_dynamodb.h"

#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_creds.h"
#include "aws/orch_aws_profile.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "store/orch_store_dynamodb_int.h"

#define PREFIX_MAX (ORCH_STORE_DY_TABLE_MAX - (int)(sizeof ORCH_STORE_DY_TABLE_SUFFIX - 1))
#define TTL_DAYS_MAX 3650
#define CREATE_POLLS 600 /* DescribeTable calls, paced at POLL_RATE, while a created table becomes ACTIVE */
#define POLL_RATE 10.0

struct spec {
  char prefix[PREFIX_MAX + 1];
  char region[ORCH_AWS_REGION_MAX];
  char endpoint[ORCH_STORE_DY_ENDPOINT_MAX + 1];
  int64_t ttl_days;
  bool create;
};

/* ---- The spec ---------------------------------------------------------------------------------- */

/* A spec error: ORCH_EINVAL in the "store" context. */
#define BAD(...) orch_error_setc(err, ORCH_EINVAL, "store", "dynamodb: " __VA_ARGS__)

/* Replace err's code (the message stays). */
static int recode(struct orch_error *err, int code) {
  if (err) err->code = code;
  return code;
}

static bool prefix_ok(const char *s, size_t n) {
  if (n < 1 || n > (size_t)PREFIX_MAX) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-'))
      return false;
  }
  return true;
}

static int option(struct spec *sp, const char *key, const char *value, struct orch_error *err) {
  static const char *const known[] = {"region", "endpoint", "drill_ttl_days", "create", NULL};
  long long days;
  if (strcmp(key, "region") == 0) {
    if (!orch_aws_region_valid(value) || !orch_str_fmt(sp->region, sizeof sp->region, "%s", value))
      return BAD("region '%.100s' is not a region name (e.g. us-east-1)", value);
  } else if (strcmp(key, "endpoint") == 0) {
    if ((!orch_str_starts_with(value, "http://") && !orch_str_starts_with(value, "https://")) ||
        strlen(value) > ORCH_STORE_DY_ENDPOINT_MAX)
      return BAD("endpoint '%.200s' is not an http:// or https:// URL", value);
    snprintf(sp->endpoint, sizeof sp->endpoint, "%s", value);
  } else if (strcmp(key, "drill_ttl_days") == 0) {
    if (orch_str_to_ll(value, 1, TTL_DAYS_MAX, &days))
      return BAD("drill_ttl_days '%s' is not a number of days from 1 to %d", value, TTL_DAYS_MAX);
    sp->ttl_days = days;
  } else if (strcmp(key, "create") == 0) {
    if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
      return BAD("create '%s' is not true or false", value);
    sp->create = strcmp(value, "true") == 0;
  } else {
    const char *near = orch_str_nearest(key, known);
    return near ? BAD("unknown option '%s'; did you mean '%s'?", key, near)
                : BAD("unknown option '%s' (known: region, endpoint, drill_ttl_days, create)", key);
  }
  return 0;
}

static int spec_parse(const char *location, struct spec *sp, struct orch_error *err) {
  memset(sp, 0, sizeof *sp);
  const char *q = strchr(location, '?');
  size_t n = q ? (size_t)(q - location) : strlen(location);
  if (!prefix_ok(location, n))
    return BAD("'%.300s' is not a table prefix: 1 to %d of A-Z a-z 0-9 _ . - (dynamodb:PREFIX[?OPTIONS])", location,
               PREFIX_MAX);
  memcpy(sp->prefix, location, n);
  sp->prefix[n] = '\0';
  char key[32], value[ORCH_STORE_DY_ENDPOINT_MAX + 1];
  for (const char *p = q ? q + 1 : NULL; p && *p;) {
    size_t len = strcspn(p, "&"), klen = strcspn(p, "=");
    if (klen >= len || klen == 0 || klen >= sizeof key || len - klen - 1 >= sizeof value)
      return BAD("option '%.*s' is not KEY=VALUE", (int)(len > 200 ? 200 : len), p);
    memcpy(key, p, klen);
    key[klen] = '\0';
    memcpy(value, p + klen + 1, len - klen - 1);
    value[len - klen - 1] = '\0';
    int rc = option(sp, key, value, err);
    if (rc) return rc;
    p += len + (p[len] == '&');
  }
  return 0;
}

/* ---- The table ---------------------------------------------------------------------------------- */

/* DescribeTable: 1 with *desc (the Table object, caller owns), 0 when it does not exist. */
static int describe(struct orch_store_dy *d, struct orch_aws_client *client, json_t **desc, struct orch_error *err) {
  struct orch_aws_error aerr;
  json_t *in = json_pack("{ss}", "TableName", d->table), *out = NULL;
  *desc = NULL;
  if (!in) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = orch_aws_call(client, "dynamodb", "DescribeTable", in, &out, &aerr, err);
  json_decref(in);
  if (rc == ORCH_EAWS && strcmp(aerr.code, "ResourceNotFoundException") == 0) return 0;
  if (rc == ORCH_EAWS || rc == ORCH_ECREDS) {
    int code = strcmp(aerr.code, "AccessDeniedException") == 0 || strcmp(aerr.code, "UnrecognizedClientException") == 0 ||
                       rc == ORCH_ECREDS
                   ? ORCH_EPERM
                   : ORCH_ESTORE;
    orch_error_prefix(err, "opening DynamoDB table %s", d->table);
    return recode(err, code);
  }
  if (rc) return rc;
  *desc = json_incref(json_object_get(out, "Table"));
  json_decref(out);
  return *desc ? 1 : orch_error_setc(err, ORCH_ESTORE, "dynamodb", "DescribeTable %s returned no table", d->table);
}

/* The key schema must be pk (HASH, S), sk (RANGE, S): anything else is another application's table. */
static int check_shape(struct orch_store_dy *d, const json_t *desc, struct orch_error *err) {
  const json_t *ks = json_object_get(desc, "KeySchema"), *defs = json_object_get(desc, "AttributeDefinitions"), *e;
  size_t i;
  bool hash = false, range = false;
  json_array_foreach(ks, i, e) {
    const char *name = json_string_value(json_object_get(e, "AttributeName"));
    const char *type = json_string_value(json_object_get(e, "KeyType"));
    const char *want = name && strcmp(name, "pk") == 0 ? "HASH" : name && strcmp(name, "sk") == 0 ? "RANGE" : NULL;
    if (want && type && strcmp(type, want) == 0) *(want[0] == 'H' ? &hash : &range) = true;
  }
  size_t strings = 0;
  json_array_foreach(defs, i, e) {
    const char *name = json_string_value(json_object_get(e, "AttributeName"));
    const char *type = json_string_value(json_object_get(e, "AttributeType"));
    strings += name && type && (strcmp(name, "pk") == 0 || strcmp(name, "sk") == 0) && strcmp(type, "S") == 0;
  }
  if (!hash || !range || json_array_size(ks) != 2 || strings != 2)
    return orch_error_setc(err, ORCH_ESTORE, "dynamodb",
                           "table %s is not a drsorch table: its key must be pk (HASH, string) and sk (RANGE, string)",
                           d->table);
  return 0;
}

/* Create the table (on demand) and wait until it is ACTIVE; another process creating it at the same
 * time is fine. The rate limiter of a client of its own paces the polls. */
static int create_table(struct orch_store_dy *d, const struct orch_aws_client_config *base, json_t **desc,
                        struct orch_error *err) {
  struct orch_aws_client_config cfg = *base;
  struct orch_aws_client *poller = NULL;
  struct orch_aws_error aerr;
  json_t *out = NULL;
  cfg.no_ratelimit = false;
  cfg.ratelimit = (struct orch_aws_ratelimit_config){.max_rate = POLL_RATE};
  json_t *in = json_pack("{ss ss s[{ssss}{ssss}] s[{ssss}{ssss}]}", "TableName", d->table, "BillingMode",
                         "PAY_PER_REQUEST", "AttributeDefinitions", "AttributeName", "pk", "AttributeType", "S",
                         "AttributeName", "sk", "AttributeType", "S", "KeySchema", "AttributeName", "pk", "KeyType",
                         "HASH", "AttributeName", "sk", "KeyType", "RANGE");
  int rc = in ? orch_aws_call(d->client, "dynamodb", "CreateTable", in, &out, &aerr, err)
              : orch_error_set(err, ORCH_ENOMEM, "out of memory");
  json_decref(in);
  json_decref(out);
  if (rc == ORCH_EAWS && strcmp(aerr.code, "ResourceInUseException") == 0) rc = 0; /* someone else's */
  else if (rc == ORCH_EAWS) rc = recode(err, ORCH_ESTORE);
  if (!rc) {
    d->created = true;
    rc = orch_aws_client_new(&cfg, &poller, err);
  }
  for (int i = 0; !rc; i++) {
    if (i == CREATE_POLLS) {
      rc = orch_error_setc(err, ORCH_ETIMEDOUT, "dynamodb", "table %s did not become ACTIVE", d->table);
      break;
    }
    rc = describe(d, poller, desc, err);
    const char *status = json_string_value(json_object_get(*desc, "TableStatus"));
    if (rc == 1 && status && strcmp(status, "ACTIVE") == 0) {
      rc = 0;
      break;
    }
    json_decref(*desc);
    *desc = NULL;
    if (rc == 1) rc = 0;
  }
  orch_aws_client_free(poller);
  if (!rc) orch_log_info("created DynamoDB table %s in %s (on demand; its TTL and point-in-time recovery come with "
                         "cfn/database-stack.yaml)", d->table, d->region);
  return rc;
}

/* The layout version item: written by the first open, refused when newer than this binary. */
static int check_layout(struct orch_store_dy *d, struct orch_error *err) {
  json_t *meta = NULL;
  int64_t version = 0;
  int rc = orch_store_dy_get(d, ORCH_STORE_DY_PK_META, "schema", NULL, &meta, err);
  if (rc == 1) {
    rc = orch_store_dy_num(meta, "version", 0, &version, err);
    json_decref(meta);
    if (rc) return rc;
    if (version > ORCH_STORE_DY_SCHEMA)
      return orch_error_setc(err, ORCH_EUNSUPPORTED, "dynamodb",
                             "table %s holds layout version %lld; this binary knows up to %d: upgrade drsorch",
                             d->table, (long long)version, ORCH_STORE_DY_SCHEMA);
    return 0;
  }
  if (rc < 0) return rc;
  json_t *item = json_pack("{s{ss}s{ss}}", "pk", "S", ORCH_STORE_DY_PK_META, "sk", "S", "schema");
  if (!item || orch_store_dy_set_n(item, "version", ORCH_STORE_DY_SCHEMA)) {
    json_decref(item);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  rc = orch_store_dy_put(d, item, "attribute_not_exists(pk)", NULL, NULL, err);
  return orch_store_dy_condition_failed(rc, err) ? check_layout(d, err) : rc; /* another open wrote it first */
}

/* ---- Ops: lifecycle and info ---------------------------------------------------------------------- */

struct ctx {
  struct orch_store_dy dy; /* first: the ops receive it as their ctx */
  struct orch_aws_profiles *profiles;
  bool mu_init;
};

static void dy_close(void *ctx) {
  struct ctx *c = ctx;
  if (!c) return;
  orch_aws_client_free(c->dy.client);
  orch_aws_creds_free(c->dy.creds);
  orch_aws_profiles_free(c->profiles);
  if (c->mu_init) pthread_mutex_destroy(&c->dy.mu);
  orch_free(c);
}

static int dy_info(void *ctx, json_t *info, struct orch_error *err) {
  struct orch_store_dy *d = ctx;
  if (json_object_set_new(info, "table", json_string(d->table)) ||
      json_object_set_new(info, "region", json_string(d->region)) ||
      (d->endpoint[0] && json_object_set_new(info, "endpoint", json_string(d->endpoint))) ||
      json_object_set_new(info, "schema_version", json_integer(ORCH_STORE_DY_SCHEMA)) ||
      json_object_set_new(info, "drill_ttl_days", json_integer((json_int_t)(d->drill_ttl_s / 86400))))
    return orch_error_set(err, ORCH_ENOMEM, "out of memory describing the store");
  return 0;
}

static const struct orch_store_ops dynamodb_ops = {
  .name = "dynamodb",
  .close = dy_close,
  .info = dy_info,
  .group_create = orch_store_dy_group_create,
  .group_update = orch_store_dy_group_update,
  .group_delete = orch_store_dy_group_delete,
  .group_get = orch_store_dy_group_get,
  .group_list = orch_store_dy_group_list,
  .plan_create = orch_store_dy_plan_create,
  .plan_add_version = orch_store_dy_plan_add_version,
  .plan_delete = orch_store_dy_plan_delete,
  .plan_get = orch_store_dy_plan_get,
  .plan_list = orch_store_dy_plan_list,
  .version_get = orch_store_dy_version_get,
  .version_list = orch_store_dy_version_list,
  .exec_create = orch_store_dy_exec_create,
  .exec_update = orch_store_dy_exec_update,
  .exec_get = orch_store_dy_exec_get,
  .exec_list = orch_store_dy_exec_list,
  .exec_count = orch_store_dy_exec_count,
  .event_append = orch_store_dy_event_append,
  .event_read = orch_store_dy_event_read,
  .event_last_seq = orch_store_dy_event_last_seq,
  .lease_acquire = orch_store_dy_lease_acquire,
  .lease_release = orch_store_dy_lease_release,
  .lease_get = orch_store_dy_lease_get,
  .audit_append = orch_store_dy_audit_append,
  .audit_list = orch_store_dy_audit_list,
  .user_create = orch_store_dy_user_create,
  .user_get = orch_store_dy_user_get,
  .user_update = orch_store_dy_user_update,
  .user_list = orch_store_dy_user_list,
  .token_create = orch_store_dy_token_create,
  .token_get = orch_store_dy_token_get,
  .token_list = orch_store_dy_token_list,
  .token_revoke = orch_store_dy_token_revoke,
  .token_touch = orch_store_dy_token_touch,
  .session_create = orch_store_dy_session_create,
  .session_find = orch_store_dy_session_find,
  .session_delete = orch_store_dy_session_delete,
  .account_create = orch_store_dy_account_create,
  .account_get = orch_store_dy_account_get,
  .account_list = orch_store_dy_account_list,
  .account_delete = orch_store_dy_account_delete,
};

int orch_store_dynamodb_schema_version(void) { return ORCH_STORE_DY_SCHEMA; }

/* Region, credentials and the client. */
static int connect(struct ctx *c, const struct spec *sp, struct orch_aws_client_config *cfg, struct orch_error *err) {
  struct orch_store_dy *d = &c->dy;
  int rc = orch_aws_profiles_load(NULL, NULL, &c->profiles, err);
  if (rc) return rc;
  const char *profile = orch_aws_profile_name(NULL);
  if ((rc = orch_aws_region_resolve(sp->region[0] ? sp->region : NULL, c->profiles, profile, NULL, d->region, err))) {
    orch_error_prefix(err, "dynamodb store (add ?region=... to the spec)");
    return rc;
  }
  struct orch_aws_creds_options co = {.profiles = c->profiles, .region = d->region};
  if ((rc = orch_aws_creds_chain(&co, &d->creds, err))) return rc == ORCH_ECREDS ? ORCH_EPERM : rc;
  *cfg = (struct orch_aws_client_config){.region = d->region, .creds = d->creds,
                                          .endpoint_url = d->endpoint[0] ? d->endpoint : NULL,
                                          .profiles = c->profiles, .profile = profile, .clock = orch_clock_real(),
                                          /* the store's own traffic: DynamoDB's throttling answers pace it */
                                          .no_ratelimit = true};
  return orch_aws_client_new(cfg, &d->client, err);
}

int orch_store_dynamodb_open(const char *location, const struct orch_store_options *opts, struct orch_store **out,
                             struct orch_error *err) {
  struct spec sp;
  struct orch_aws_client_config cfg;
  json_t *desc = NULL;
  if (!out) return orch_error_set(err, ORCH_EINVAL, "orch_store_dynamodb_open: out is NULL");
  *out = NULL;
  int rc = spec_parse(location ? location : "", &sp, err);
  if (rc) return rc;
  struct ctx *c = orch_calloc(1, sizeof *c);
  if (!c) return orch_error_set(err, ORCH_ENOMEM, "out of memory opening the store");
  struct orch_store_dy *d = &c->dy;
  snprintf(d->table, sizeof d->table, "%s%s", sp.prefix, ORCH_STORE_DY_TABLE_SUFFIX);
  snprintf(d->endpoint, sizeof d->endpoint, "%s", sp.endpoint);
  d->drill_ttl_s = sp.ttl_days * 86400;
  if (pthread_mutex_init(&d->mu, NULL)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "cannot create a mutex");
    goto fail;
  }
  c->mu_init = true;
  if ((rc = connect(c, &sp, &cfg, err))) goto fail;
  if ((rc = describe(d, d->client, &desc, err)) == 0) {
    if (!sp.create) {
      rc = orch_error_setc(err, ORCH_ESTORE, "dynamodb",
                           "table %s does not exist in %s (deploy cfn/database-stack.yaml, or add ?create=true for a "
                           "local DynamoDB)",
                           d->table, d->region);
      goto fail;
    }
    rc = create_table(d, &cfg, &desc, err);
  }
  if (rc < 0 || (rc = check_shape(d, desc, err)) || (rc = check_layout(d, err))) goto fail;
  json_decref(desc);
  return orch_store_wrap(&dynamodb_ops, c, opts, out, err);
fail:
  json_decref(desc);
  dy_close(c);
  return rc;
}
