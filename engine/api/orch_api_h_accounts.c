/* orch_api_h_accounts: target accounts: list, get, add (the role is assumed and sts:GetCallerIdentity must
 * name the account before anything is stored; nothing secret is stored), remove. Uses orch_api_int,
 * orch_store, orch_aws_client (error JSON). */
#include <stdio.h>
#include <string.h>

#include "api/orch_api_int.h"
#include "aws/orch_aws_client.h"

static json_t *opt_str(const char *s) { return s && *s ? json_string(s) : json_null(); }

static json_t *account_json(const struct orch_store_account *a) {
  return json_pack("{s:s, s:o, s:s, s:o, s:o, s:o, s:o}", "account_id", a->account_id, "name", opt_str(a->name),
                   "role_arn", a->role_arn, "external_id", opt_str(a->external_id), "caller_arn", opt_str(a->caller_arn),
                   "validated_at", api_time(a->validated_ms), "created_at", api_time(a->created_ms));
}

int api_h_accounts_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_account_list l = {0};
  struct orch_error err = {0};
  if (api_query_page(c, &page)) return 0;
  int rc = orch_store_account_list(c->api->cfg.store, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) json_array_append_new(items, account_json(&l.items[i]));
  api_page(c, items, l.next_cursor);
  orch_store_account_list_release(&l);
  return 0;
}

int api_h_account_get(struct api_call *c) {
  struct orch_store_account a;
  struct orch_error err = {0};
  int rc = orch_store_account_get(c->api->cfg.store, c->params[0], &a, &err);
  if (rc == ORCH_EINVAL) return api_error(c, 400, "BadRequest", NULL, "'%.40s' is not an account id (12 digits)", c->params[0]);
  return rc ? api_fail(c, rc, &err) : api_json(c, 200, account_json(&a));
}

int api_h_account_create(struct api_call *c) {
  const struct orch_api_backends *b = api_backends(c->api);
  const struct orch_api_aws_ops *aws = b ? b->aws : NULL;
  const char *account = json_string_value(json_object_get(c->body, "account_id"));
  const char *role_arn = json_string_value(json_object_get(c->body, "role_arn"));
  const char *external_id = json_string_value(json_object_get(c->body, "external_id"));
  struct orch_store_account a;
  struct orch_error err = {0};
  if (orch_store_account_get(c->api->cfg.store, account, &a, NULL) == 0)
    return api_error(c, 409, "AlreadyExists", json_pack("{s:s}", "field", "account_id"),
                     "account %s is already a target account", account);
  if (!aws) return api_error(c, 503, "ServiceUnavailable", NULL, "this server has no way to AWS to check the role");
  char caller[ORCH_STORE_ROLE_ARN_MAX + 1] = "";
  struct orch_aws_error aerr = {0};
  int rc = aws->check_role(b->aws_ctx, account, role_arn, external_id, caller, sizeof caller, &aerr, &err);
  if (rc == ORCH_ENOMEM) return api_fail(c, rc, &err);
  if (rc)
    return api_error(c, 422, "ValidationError",
                     json_pack("{s:s, s:o}", "field", "role_arn", "aws", aerr.code[0] ? orch_aws_error_to_json(&aerr) : json_null()),
                     "cannot use %s for account %s: %s", role_arn, account, err.message);
  struct orch_store_account_spec spec = {.account_id = account,
                                         .name = json_string_value(json_object_get(c->body, "name")),
                                         .role_arn = role_arn, .external_id = external_id, .caller_arn = caller,
                                         .validated_ms = orch_clock_now_ms(c->api->clock)};
  if ((rc = orch_store_account_create(c->api->cfg.store, &spec, &a, &err))) return api_fail(c, rc, &err);
  if (aws->accounts_changed) aws->accounts_changed(b->aws_ctx);
  char target[32];
  snprintf(target, sizeof target, "account/%s", account);
  api_audit(c, target, NULL, json_pack("{s:s}", "role_arn", role_arn), json_pack("{s:s}", "caller_arn", caller));
  api_header(c, "Location", "/api/v1/accounts/%s", account);
  return api_json(c, 201, account_json(&a));
}

int api_h_account_delete(struct api_call *c) {
  struct orch_error err = {0};
  int rc = orch_store_account_delete(c->api->cfg.store, c->params[0], &err);
  if (rc == ORCH_EINVAL) return api_error(c, 400, "BadRequest", NULL, "'%.40s' is not an account id (12 digits)", c->params[0]);
  if (rc) return api_fail(c, rc, &err);
  const struct orch_api_backends *b = api_backends(c->api);
  if (b && b->aws && b->aws->accounts_changed) b->aws->accounts_changed(b->aws_ctx);
  char target[32];
  snprintf(target, sizeof target, "account/%s", c->params[0]);
  api_audit(c, target, NULL, NULL, NULL);
  c->resp->status = 204;
  return 0;
}
