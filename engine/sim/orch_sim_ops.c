/* orch_sim_ops: handler lookup and the helpers every handler shares (errors, pagination tokens,
 * list membership, timestamps). Uses orch_sim_world, orch_aws_error, orch_time, orch_str. */
#include "sim/orch_sim_ops.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_proto.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "sim/orch_sim_drs_int.h"

static const struct {
  const char *service;
  const struct orch_sim_op *ops;
} tables[] = {
    {"drs", orch_sim_drs_ops},   {"drs", orch_sim_drs_instance_ops}, {"ec2", orch_sim_ec2_ops}, {"ssm", orch_sim_ssm_ops},
    {"sns", orch_sim_sns_ops},   {"sts", orch_sim_sts_ops}, {"servicequotas", orch_sim_quotas_ops},
    {"s3", orch_sim_s3_ops},     {"cloudfront", orch_sim_cloudfront_ops},
};

orch_sim_handler orch_sim_ops_find(const char *service, const char *operation) {
  for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++) {
    if (strcmp(tables[t].service, service) != 0) continue;
    for (const struct orch_sim_op *op = tables[t].ops; op->name; op++)
      if (strcmp(op->name, operation) == 0) return op->fn;
  }
  return NULL;
}

int orch_sim_fail(struct orch_aws_error *aerr, int status, const char *code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = orch_aws_proto_vreject(aerr, status, code, fmt, ap);
  va_end(ap);
  aerr->retry_after_ms = -1;
  return rc;
}

#define TOKEN_PREFIX "sim1."

int orch_sim_page_start(const char *token, size_t *start, const char *bad_code, struct orch_aws_error *aerr) {
  long long v;
  *start = 0;
  if (!token || !*token) return 0;
  if (!orch_str_starts_with(token, TOKEN_PREFIX) || orch_str_to_ll(token + strlen(TOKEN_PREFIX), 0, 1LL << 40, &v))
    return orch_sim_fail(aerr, 400, bad_code, "The pagination token is invalid.");
  *start = (size_t)v;
  return 0;
}

int orch_sim_page_token(json_t *out, const char *key, size_t next) {
  char t[48];
  snprintf(t, sizeof t, TOKEN_PREFIX "%zu", next);
  return json_object_set_new(out, key, json_string(t)) ? ORCH_ENOMEM : 0;
}

bool orch_sim_page_take(struct orch_sim_page *p) {
  if (p->matched++ < p->start) return false;
  if (json_array_size(p->items) < p->max) return true;
  p->err = orch_sim_page_token(p->res, p->token_key, p->start + p->max);
  p->done = true;
  return false;
}

void orch_sim_page_add(struct orch_sim_page *p, json_t *item) {
  if (json_array_append_new(p->items, item)) {
    p->err = ORCH_ENOMEM;
    p->done = true;
  }
}

int orch_sim_page_end(struct orch_sim_page *p, json_t **out) {
  if (p->err) {
    json_decref(p->res);
    return p->err;
  }
  *out = p->res;
  return 0;
}

bool orch_sim_in_list(const json_t *arr, const char *s) {
  size_t i;
  json_t *v;
  if (!arr) return true;
  json_array_foreach(orch_sim_json_mut(arr), i, v) {
    if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return true;
  }
  return false;
}

const char *orch_sim_str(const json_t *in, const char *key) {
  json_t *v = json_object_get(in, key);
  return json_is_string(v) ? json_string_value(v) : NULL;
}

json_t *orch_sim_time_json(int64_t ms) {
  char t[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(t, ms);
  return json_string(t);
}
