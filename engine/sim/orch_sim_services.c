/* orch_sim_services: the three small services: SNS Publish (messages kept for GET /_sim/sns), STS
 * GetCallerIdentity / AssumeRole (cross-account: the account comes from the role ARN; the temporary keys it
 * hands out are accepted until their Expiration on the sim clock), and Service Quotas for the DRS quotas.
 * Uses orch_sim_ops, orch_sim_world, jansson. */
#include <stdio.h>
#include <string.h>

#include "core/orch_str.h"
#include "sim/orch_sim_ops.h"

/* ---- SNS ---- */

static int sns_publish(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *topic = orch_sim_str(in, "TopicArn");
  const char *msg = orch_sim_str(in, "Message"), *subject = orch_sim_str(in, "Subject");
  char prefix[128], id[37];
  if (!topic) topic = orch_sim_str(in, "TargetArn");
  if (!topic) return orch_sim_fail(aerr, 400, "InvalidParameter", "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
  if (!msg || !*msg) return orch_sim_fail(aerr, 400, "InvalidParameter", "Invalid parameter: Message Reason: cannot be empty");
  if (strlen(msg) > 262144) return orch_sim_fail(aerr, 400, "InvalidParameter", "Invalid parameter: Message too long");
  snprintf(prefix, sizeof prefix, "arn:%s:sns:%s:%s:", c->env->partition, c->env->region,
           c->w->accounts[c->env->account].id);
  bool known = strncmp(topic, prefix, strlen(prefix)) == 0 && topic[strlen(prefix)] != '\0' &&
               (json_array_size(c->env->topics) == 0 || orch_sim_in_list(c->env->topics, topic));
  if (!known) return orch_sim_fail(aerr, 404, "NotFound", "Topic does not exist");
  orch_sim_rng_uuid(&c->w->rng, id);
  json_t *rec = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:s, s:s}", "MessageId", id, "TopicArn", topic, "Message", msg,
                          "Subject", subject, "at", orch_sim_time_json(c->now), "account",
                          c->w->accounts[c->env->account].id, "region", c->env->region);
  json_t *attrs = json_object_get(in, "MessageAttributes");
  if (rec && attrs) json_object_set(rec, "MessageAttributes", attrs);
  if (!rec || json_array_append_new(c->env->sns, rec))
    return orch_sim_fail(aerr, 500, "InternalError", "Internal error");
  *out = json_pack("{s:s}", "MessageId", id);
  return *out ? 0 : orch_sim_fail(aerr, 500, "InternalError", "Internal error");
}

const struct orch_sim_op orch_sim_sns_ops[] = {
    {"Publish", sns_publish},
    {NULL, NULL},
};

/* ---- STS ---- */

static int sts_get_caller_identity(struct orch_sim_call *c, const json_t *in, json_t **out,
                                   struct orch_aws_error *aerr) {
  (void)in;
  *out = json_pack("{s:s, s:s, s:s}", "UserId", c->cred->user_id, "Account", c->w->accounts[c->cred->account].id,
                   "Arn", c->cred->arn);
  return *out ? 0 : orch_sim_fail(aerr, 500, "InternalFailure", "Internal failure");
}

static void random_upper(struct orch_sim_rng *r, char *out, size_t n, const char *alphabet) {
  size_t a = strlen(alphabet);
  for (size_t i = 0; i < n; i++) out[i] = alphabet[orch_sim_rng_next(r) % a];
  out[n] = '\0';
}

static int sts_assume_role(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *role_arn = orch_sim_str(in, "RoleArn"), *session = orch_sim_str(in, "RoleSessionName");
  const char *ext = orch_sim_str(in, "ExternalId");
  json_t *dur = json_object_get(in, "DurationSeconds");
  int64_t seconds = json_is_integer(dur) ? json_integer_value(dur) : 3600;
  char account[16], name[128];
  if (!role_arn || !session) return orch_sim_fail(aerr, 400, "ValidationError", "RoleArn and RoleSessionName are required");
  /* arn:aws:iam::123456789012:role/path/Name */
  const char *p = role_arn;
  if (!orch_str_starts_with(p, "arn:") || !(p = strstr(p, ":iam::")) || strlen(p + 6) < 13 || p[18] != ':' ||
      !orch_str_starts_with(p + 19, "role/"))
    return orch_sim_fail(aerr, 400, "ValidationError", "%s is invalid", role_arn);
  snprintf(account, sizeof account, "%.12s", p + 6);
  const char *last = strrchr(p + 19, '/');
  snprintf(name, sizeof name, "%s", last + 1);
  int acc = orch_sim_world_account(c->w, account);
  const struct orch_sim_account *a = acc >= 0 ? &c->w->accounts[acc] : NULL;
  const struct orch_sim_role *role = NULL;
  bool allowed = a != NULL && *name;
  if (a && a->nroles) {
    allowed = false;
    for (size_t i = 0; i < a->nroles; i++) {
      if (strcmp(a->roles[i].name, name) != 0) continue;
      role = &a->roles[i];
      allowed = !role->external_id || (ext && strcmp(ext, role->external_id) == 0);
    }
  }
  if (!allowed)
    return orch_sim_fail(aerr, 403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s",
                         c->cred->arn, role_arn);
  /* AWS's limits: 15 minutes at least; at most the role's MaxSessionDuration (1 h unless the scenario says
   * otherwise); at most 1 h when the caller is itself an assumed role (role chaining). */
  if (seconds < 900 || seconds > 43200)
    return orch_sim_fail(aerr, 400, "ValidationError",
                         "1 validation error detected: Value '%lld' at 'durationSeconds' failed to satisfy constraint: "
                         "Member must have value %s",
                         (long long)seconds, seconds < 900 ? "greater than or equal to 900" : "less than or equal to 43200");
  if (c->cred->session_token && seconds > 3600)
    return orch_sim_fail(aerr, 400, "ValidationError",
                         "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.");
  if (seconds > (role ? role->max_session_s : 3600))
    return orch_sim_fail(aerr, 400, "ValidationError",
                         "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
  char akid[24] = "ASIA", secret[41], token[161], role_id[32] = "AROA", arn[384], user_id[192];
  random_upper(&c->w->rng, akid + 4, 16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
  random_upper(&c->w->rng, secret, 40, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  random_upper(&c->w->rng, token, 160, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
  random_upper(&c->w->rng, role_id + 4, 17, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567");
  snprintf(arn, sizeof arn, "arn:aws:sts::%s:assumed-role/%s/%s", account, name, session);
  snprintf(user_id, sizeof user_id, "%s:%s", role_id, session);
  /* Refused with ExpiredToken (EC2: RequestExpired) from Expiration on, by the sim clock. */
  if (orch_sim_world_add_credential(c->w, acc, akid, secret, token, c->now + seconds * 1000, arn, user_id))
    return orch_sim_fail(aerr, 500, "InternalFailure", "Internal failure");
  *out = json_pack("{s:{s:s, s:s, s:s, s:o}, s:{s:s, s:s}, s:i}", "Credentials", "AccessKeyId", akid,
                   "SecretAccessKey", secret, "SessionToken", token, "Expiration",
                   orch_sim_time_json(c->now + seconds * 1000), "AssumedRoleUser", "AssumedRoleId", user_id, "Arn",
                   arn, "PackedPolicySize", 0);
  return *out ? 0 : orch_sim_fail(aerr, 500, "InternalFailure", "Internal failure");
}

const struct orch_sim_op orch_sim_sts_ops[] = {
    {"GetCallerIdentity", sts_get_caller_identity},
    {"AssumeRole", sts_assume_role},
    {NULL, NULL},
};

/* ---- Service Quotas ---- */

static json_t *quota_json(const struct orch_sim_call *c, const struct orch_sim_quota *q) {
  char arn[192], res[64];
  snprintf(res, sizeof res, "drs/%s", q->code);
  orch_sim_arn(arn, sizeof arn, c->w, c->env, "servicequotas", res);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:f, s:s, s:b, s:b}", "ServiceCode", "drs", "ServiceName",
                   "AWS Elastic Disaster Recovery", "QuotaArn", arn, "QuotaCode", q->code, "QuotaName", q->name,
                   "Value", q->value, "Unit", "None", "Adjustable", q->adjustable, "GlobalQuota", false);
}

static int sq_get_service_quota(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *svc = orch_sim_str(in, "ServiceCode"), *code = orch_sim_str(in, "QuotaCode");
  const struct orch_sim_quota *q = svc && strcmp(svc, "drs") == 0 ? orch_sim_world_quota(c->w, code) : NULL;
  if (!q)
    return orch_sim_fail(aerr, 400, "NoSuchResourceException",
                         "The request failed because the specified service quota %s/%s does not exist.", svc ? svc : "",
                         code ? code : "");
  *out = json_pack("{s:o}", "Quota", quota_json(c, q));
  return *out ? 0 : orch_sim_fail(aerr, 500, "ServiceException", "Internal error");
}

static int sq_list_service_quotas(struct orch_sim_call *c, const json_t *in, json_t **out, struct orch_aws_error *aerr) {
  const char *svc = orch_sim_str(in, "ServiceCode");
  json_t *m = json_object_get(in, "MaxResults");
  size_t start, max = json_is_integer(m) && json_integer_value(m) > 0 ? (size_t)json_integer_value(m) : 100;
  int rc = orch_sim_page_start(orch_sim_str(in, "NextToken"), &start, "InvalidPaginationTokenException", aerr);
  if (rc) return rc;
  if (!svc || strcmp(svc, "drs") != 0)
    return orch_sim_fail(aerr, 400, "NoSuchResourceException", "The request failed because the specified service %s does not exist.",
                         svc ? svc : "");
  json_t *list = json_array(), *res = json_pack("{s:o}", "Quotas", list);
  if (!res) return orch_sim_fail(aerr, 500, "ServiceException", "Internal error");
  for (size_t i = start; i < ORCH_SIM_NQUOTAS; i++) {
    if (json_array_size(list) == max) {
      if (orch_sim_page_token(res, "NextToken", i)) break;
      break;
    }
    json_array_append_new(list, quota_json(c, &c->w->quotas[i]));
  }
  *out = res;
  return 0;
}

const struct orch_sim_op orch_sim_quotas_ops[] = {
    {"GetServiceQuota", sq_get_service_quota},
    {"ListServiceQuotas", sq_list_service_quotas},
    {NULL, NULL},
};
