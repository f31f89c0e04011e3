/* dynalite_suite: the set-up the DynamoDB store's own tests share (test_store_dynamodb*.c): dynalite
 * started for each test, the AWS environment pinned to it, a raw DynamoDB client to read the table as
 * DynamoDB holds it, and stores opened on dynalite's port or on a proxy's (dynamo_proxy.h). Header-only;
 * use dy_suite_init / dy_suite_fini as the Criterion suite's init and fini.
 * Uses dynalite_local.h, orch_aws_client, orch_store, Criterion. */
#ifndef DYNALITE_SUITE_H
#define DYNALITE_SUITE_H

#include "dynalite_local.h"
#include "store_test_util.h"

#include "aws/orch_aws_client.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "store/orch_store_dynamodb.h"

#define DY_TABLE "dy-state" /* the table of the stores dy_store_at opens ("dynamodb:dy") */

static struct dynalite dl;
static struct orch_aws_creds *raw_creds;
static struct orch_aws_client *raw;
static char endpoint[64]; /* dynalite's, "http://127.0.0.1:<port>" */

static inline void dy_suite_init(void) {
  char why[512];
  orch_json_init();
  int rc = dynalite_start(&dl, why, sizeof why);
  if (rc == 77) cr_skip_test("%s", why);
  cr_assert_eq(rc, 0, "%s", why);
  orch_log_configure(ORCH_LOG_WARN, ORCH_LOG_TEXT, stderr);
  dynalite_pin_env();
  snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", dl.port);
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_creds_static("AKIDDYNALITE", "dynalite-secret", NULL, &raw_creds), 0);
  struct orch_aws_client_config cfg = {.region = "us-east-1", .creds = raw_creds, .endpoint_url = endpoint,
                                       .no_ratelimit = true};
  cr_assert_eq(orch_aws_client_new(&cfg, &raw, &err), 0, "%s", err.message);
}

static inline void dy_suite_fini(void) {
  orch_aws_client_free(raw);
  orch_aws_creds_free(raw_creds);
  dynalite_stop(&dl);
}

/* The store spec "dynamodb:dy?region=us-east-1&endpoint=http://127.0.0.1:<port><extra>" (a static buffer). */
static inline const char *dy_spec_at(int port, const char *extra) {
  static char s[512];
  cr_assert((size_t)snprintf(s, sizeof s, "dynamodb:dy?region=us-east-1&endpoint=http://127.0.0.1:%d%s", port, extra) <
            sizeof s);
  return s;
}

/* A store on `port` (dl.port, or a proxy's); `extra` adds options ("&create=true" makes the table). */
static inline struct orch_store *dy_store_at(int port, const char *extra, const struct orch_clock *clock) {
  struct orch_store *s = NULL;
  struct orch_store_options o = {.clock = clock};
  OK(orch_store_open(dy_spec_at(port, extra), &o, &s, err));
  return s;
}

/* One raw call; its output (caller decrefs). `in` is stolen. */
static inline json_t *raw_call(const char *op, json_t *in) {
  json_t *out = NULL;
  struct orch_error err = {0};
  cr_assert(in, "test input");
  int rc = orch_aws_paginate(raw, "dynamodb", op, in, &out, NULL, &err);
  json_decref(in);
  cr_assert_eq(rc, 0, "%s: %s", op, err.message);
  return out;
}

/* Every item of partition pk whose sort key starts with prefix (caller decrefs the array). */
static inline json_t *raw_items(const char *pk, const char *prefix) {
  json_t *out = raw_call("Query", json_pack("{ss ss s{s{ss}s{ss}} sb}", "TableName", DY_TABLE, "KeyConditionExpression",
                                            "pk = :p AND begins_with(sk, :s)", "ExpressionAttributeValues", ":p", "S",
                                            pk, ":s", "S", prefix, "ConsistentRead", 1));
  json_t *items = json_incref(json_object_get(out, "Items"));
  json_decref(out);
  return items;
}

static inline const char *raw_s(const json_t *item, const char *name) {
  return json_string_value(json_object_get(json_object_get(item, name), "S"));
}

static inline long long raw_n(const json_t *item, const char *name) {
  const char *s = json_string_value(json_object_get(json_object_get(item, name), "N"));
  return s ? strtoll(s, NULL, 10) : -1;
}

/* Raw PutItem of {pk, sk} plus the attributes in `more` (an object of attribute values, stolen). */
static inline void raw_put(const char *pk, const char *sk, json_t *more) {
  json_t *item = json_pack("{s{ss}s{ss}}", "pk", "S", pk, "sk", "S", sk);
  cr_assert(item && more && json_object_update(item, more) == 0);
  json_decref(more);
  json_decref(raw_call("PutItem", json_pack("{ss so}", "TableName", DY_TABLE, "Item", item)));
}

/* A text of n bytes (orch_free) mixing 1-, 2- and 3-byte UTF-8 characters (chunks must not split one),
 * opened by the line "-- <tag>" when tag is not NULL (to tell two values apart). */
static inline char *dy_text(const char *tag, size_t n) {
  static const char pattern[] = "-- plan \xc3\xa9t\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac\n";
  char *s = orch_malloc(n + 1);
  cr_assert(s);
  size_t at = tag ? (size_t)snprintf(s, n + 1, "-- %s\n", tag) : 0;
  for (; at + sizeof pattern - 1 <= n; at += sizeof pattern - 1) memcpy(s + at, pattern, sizeof pattern - 1);
  memset(s + at, 'x', n - at);
  s[n] = '\0';
  return s;
}

#endif
