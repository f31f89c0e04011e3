/* Tests for orch_json: path-precise type errors, unknown keys with suggestions, depth limits, parse
 * errors with positions, and allocation-failure loops (jansson routed through orch_alloc). */
#include <criterion/criterion.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_json.h"

static void setup(void) { orch_json_init(); }

TestSuite(json, .init = setup);

static json_t *parse(const char *s) {
  struct orch_error err = {0};
  json_t *j = orch_json_parse(s, strlen(s), 0, &err);
  cr_assert_not_null(j, "parse failed: %s", err.message);
  return j;
}

/* The example the issue asks for: the error names the exact element and both types. */
Test(json, wrong_type_names_the_path) {
  json_t *doc = parse("{\"waves\":[{},{},{\"depends_on\":[7]}]}");
  json_t *waves = NULL, *deps = NULL;
  struct orch_error err = {0};
  char path[ORCH_JSON_PATH_MAX], wpath[ORCH_JSON_PATH_MAX], dpath[ORCH_JSON_PATH_MAX];
  cr_assert_eq(orch_json_get_array(doc, "", "waves", true, &waves, &err), 0);
  orch_json_path_index(wpath, "waves", 2);
  cr_assert_eq(orch_json_get_array(json_array_get(waves, 2), wpath, "depends_on", true, &deps, &err), 0);
  orch_json_path_key(path, wpath, "depends_on");
  orch_json_path_index(dpath, path, 0);
  cr_assert_eq(orch_json_expect(json_array_get(deps, 0), dpath, JSON_STRING, &err), ORCH_ETYPE);
  char line[800];
  cr_assert_str_eq(orch_error_format(&err, line, sizeof line), "waves[2].depends_on[0]: expected string, got number");
  json_decref(doc);
}

Test(json, typed_getters) {
  json_t *doc = parse("{\"name\":\"orders\",\"count\":3,\"on\":true,\"big\":1000,\"obj\":{}}");
  struct orch_error err = {0};
  const char *s = NULL;
  long long n = 0;
  bool b = false;
  json_t *o = NULL;
  cr_assert_eq(orch_json_get_str(doc, "", "name", true, &s, &err), 0);
  cr_assert_str_eq(s, "orders");
  cr_assert_eq(orch_json_get_int(doc, "", "count", true, 0, 10, &n, &err), 0);
  cr_assert_eq(n, 3);
  cr_assert_eq(orch_json_get_bool(doc, "", "on", true, &b, &err), 0);
  cr_assert(b);
  cr_assert_eq(orch_json_get_object(doc, "", "obj", true, &o, &err), 0);
  cr_assert_not_null(o);
  /* Optional and absent: success, value untouched. */
  s = "unchanged";
  cr_assert_eq(orch_json_get_str(doc, "", "missing", false, &s, &err), 0);
  cr_assert_str_eq(s, "unchanged");
  /* Required and absent. */
  cr_assert_eq(orch_json_get_str(doc, "plan", "missing", true, &s, &err), ORCH_EVALIDATION);
  cr_assert_str_eq(err.context, "plan.missing");
  cr_assert_str_eq(err.message, "required field is missing");
  /* Range. */
  cr_assert_eq(orch_json_get_int(doc, "", "big", true, 0, 999, &n, &err), ORCH_ERANGE);
  cr_assert_str_eq(err.context, "big");
  cr_assert_str_eq(err.message, "1000 is outside [0, 999]");
  /* Wrong type. */
  cr_assert_eq(orch_json_get_int(doc, "", "name", true, 0, 10, &n, &err), ORCH_ETYPE);
  cr_assert_str_eq(err.message, "expected integer, got string");
  cr_assert_eq(orch_json_get_str(json_object_get(doc, "count"), "count", "x", true, &s, &err), ORCH_ETYPE);
  cr_assert_str_eq(err.message, "expected object, got number");
  json_decref(doc);
}

Test(json, unknown_keys_suggest_the_nearest) {
  json_t *doc = parse("{\"name\":\"x\",\"depens_on\":[]}");
  static const char *const allowed[] = {"name", "depends_on", "servers", NULL};
  struct orch_error err = {0};
  cr_assert_eq(orch_json_check_keys(doc, "waves[1]", allowed, &err), ORCH_EUNKNOWNKEY);
  cr_assert_str_eq(err.context, "waves[1].depens_on");
  cr_assert_str_eq(err.message, "unknown key; did you mean 'depends_on'?");
  json_decref(doc);
  doc = parse("{\"zzzzzzzz\":1}");
  cr_assert_eq(orch_json_check_keys(doc, "", allowed, &err), ORCH_EUNKNOWNKEY);
  cr_assert_str_eq(err.message, "unknown key");
  json_decref(doc);
}

Test(json, parse_errors_give_position) {
  struct orch_error err = {0};
  cr_assert_null(orch_json_parse("{\n  \"a\": tru\n}", 14, 0, &err));
  cr_assert_eq(err.code, ORCH_EPARSE);
  cr_assert(strncmp(err.message, "line 2, column", 14) == 0, "message was: %s", err.message);
  cr_assert_null(orch_json_parse("", 0, 0, &err));
  cr_assert_eq(err.code, ORCH_EPARSE);
}

Test(json, depth_is_capped_before_jansson_recurses) {
  char deep[4096];
  size_t n = 0;
  for (int i = 0; i < 2000; i++) deep[n++] = '[';
  for (int i = 0; i < 2000; i++) deep[n++] = ']';
  struct orch_error err = {0};
  cr_assert_null(orch_json_parse(deep, n, 0, &err));
  cr_assert_eq(err.code, ORCH_ETOOBIG);
  cr_assert_str_eq(err.message, "JSON nested deeper than 64 levels");
  /* Brackets inside strings do not count. */
  json_t *j = parse("{\"s\":\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
  json_decref(j);
  cr_assert_null(orch_json_parse("[[[1]]]", 7, 2, &err));
  j = orch_json_parse("[[1]]", 5, 2, &err);
  cr_assert_not_null(j);
  json_decref(j);
}

Test(json, dump_into_buf) {
  json_t *doc = parse("{\"b\":[1,2],\"a\":\"x\\\"y\"}");
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_json_dump(&b, doc, JSON_COMPACT | JSON_SORT_KEYS), 0);
  cr_assert_str_eq(orch_buf_cstr(&b), "{\"a\":\"x\\\"y\",\"b\":[1,2]}");
  struct orch_buf small = ORCH_BUF_INIT(5);
  cr_assert_eq(orch_json_dump(&small, doc, JSON_COMPACT), ORCH_ETOOBIG);
  orch_buf_free(&small);
  orch_buf_free(&b);
  json_decref(doc);
}

/* Parse and validate under every allocation failure point: NULL + ENOMEM, never a crash or a leak. */
Test(json, allocation_failure_loop_parse) {
  const char *text = "{\"name\":\"orders\",\"waves\":[{\"name\":\"db\",\"servers\":[\"s-1\",\"s-2\"]},"
                     "{\"name\":\"app\",\"depends_on\":[\"db\"]}]}";
  int ok = 0;
  for (long n = 0; n < 500 && !ok; n++) {
    struct orch_error err = {0};
    orch_alloc_fail_after(n);
    json_t *j = orch_json_parse(text, strlen(text), 0, &err);
    struct orch_buf b = ORCH_BUF_INIT(0);
    int rc = j ? orch_json_dump(&b, j, JSON_COMPACT) : err.code;
    orch_alloc_fail_after(-1);
    if (!j) cr_assert_eq(err.code, ORCH_ENOMEM, "n=%ld: %s", n, err.message);
    else if (rc) cr_assert_eq(rc, ORCH_ENOMEM);
    else ok = 1;
    json_decref(j);
    orch_buf_free(&b);
  }
  cr_assert(ok, "parse+dump never succeeded within 500 allocations");
}
