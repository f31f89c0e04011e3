/* test_store_dispatch: the store front end's dispatch to a backend whose ops table leaves ops out (a
 * backend under construction, or one that cannot offer an op): every such op is a clear
 * ORCH_EUNSUPPORTED naming the backend and the op, never a call through a NULL pointer; arguments are
 * still validated first. Uses orch_store_backend, Criterion. */
#include "store_test_util.h"

#include "store/orch_store_backend.h"

static int closed;

static void bare_close(void *ctx) {
  (void)ctx;
  closed++;
}

static int bare_user_get(void *ctx, const char *id, const char *name, struct orch_store_user *out,
                         struct orch_error *err) {
  (void)ctx;
  (void)id;
  (void)err;
  snprintf(out->name, sizeof out->name, "%s", name ? name : "");
  return 0;
}

/* Only close and user_get: everything else is left NULL. */
static const struct orch_store_ops bare_ops = {.name = "bare", .close = bare_close, .user_get = bare_user_get};

Test(dispatch, a_missing_op_is_a_clear_error) {
  struct orch_store *s = NULL;
  static int ctx;
  OK(orch_store_wrap(&bare_ops, &ctx, NULL, &s, err));
  struct orch_store_user u;
  OK(orch_store_user_find(s, "alice", &u, err));
  cr_assert_str_eq(u.name, "alice", "a present op is called");

  struct orch_error e;
  struct orch_store_user_spec spec = {.name = "bob", .role = "Admin"};
  FAILS(e, ORCH_EUNSUPPORTED, orch_store_user_create(s, &spec, NULL, err));
  cr_assert_str_eq(e.context, "user_create");
  cr_assert(strstr(e.message, "bare") && strstr(e.message, "user_create"), "%s", e.message);
  int64_t counts[ORCH_STORE_STATUS_COUNT];
  FAILS(e, ORCH_EUNSUPPORTED, orch_store_exec_count(s, counts, err));
  cr_assert_str_eq(e.context, "exec_count");
  struct orch_store_account_list al;
  FAILS(e, ORCH_EUNSUPPORTED, orch_store_account_list(s, NULL, &al, err));
  cr_assert_eq(al.count, 0);
  json_t *info = NULL;
  FAILS(e, ORCH_EUNSUPPORTED, orch_store_info(s, &info, err));
  cr_assert_null(info);
  spec.role = "Ad min";
  FAILS(e, ORCH_EINVAL, orch_store_user_create(s, &spec, NULL, err));
  cr_assert_str_eq(e.context, "role", "validation comes before dispatch");
  orch_store_close(s);
  cr_assert_eq(closed, 1);
}
