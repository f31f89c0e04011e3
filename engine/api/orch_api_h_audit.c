/* orch_api_h_audit: GET /audit: the audit log newest first, filtered by actor, action, target and time.
 * Uses orch_api_int, orch_store. */
#include "api/orch_api_int.h"

static json_t *opt_str(const char *s) { return s && *s ? json_string(s) : json_null(); }

int api_h_audit_list(struct api_call *c) {
  struct orch_store_page page;
  struct orch_store_audit_filter f = {.actor = api_query(c, "actor"), .action = api_query(c, "action"),
                                      .target = api_query(c, "target")};
  if (api_query_page(c, &page) || api_query_time(c, "from", &f.from_ms) || api_query_time(c, "to", &f.to_ms)) return 0;
  struct orch_store_audit_list l = {0};
  struct orch_error err = {0};
  int rc = orch_store_audit_list(c->api->cfg.store, &f, &page, &l, &err);
  if (rc) return api_fail(c, rc, &err);
  json_t *items = json_array();
  for (size_t i = 0; items && i < l.count; i++) {
    const struct orch_store_audit *a = &l.items[i];
    json_array_append_new(items, json_pack("{s:I, s:o, s:s, s:o, s:s, s:o, s:o, s:o, s:O}", "id", (json_int_t)a->id, "at",
                                           api_time(a->at_ms), "actor", a->actor, "role", opt_str(a->role), "action",
                                           a->action, "target", opt_str(a->target), "request_id", opt_str(a->request_id),
                                           "source", opt_str(a->source), "details", a->details ? a->details : json_null()));
  }
  api_page(c, items, l.next_cursor);
  orch_store_audit_list_release(&l);
  return 0;
}
