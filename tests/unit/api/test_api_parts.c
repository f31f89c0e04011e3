/* test_api_parts: the API's building blocks on their own: the unified diff against GNU `diff -u` (the
 * independent reference) on edits of plan sources, the event hub (fan-out, a slow subscriber dropped
 * while the publisher never waits, shutdown), the rate limiter's buckets and the schema validator's
 * messages. Uses orch_api_diff, orch_api_hub, orch_api_ratelimit, orch_api_schema, Criterion. */
#include <criterion/criterion.h>

#include "scratch_dir.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/orch_api_diff.h"
#include "api/orch_api_hub.h"
#include "api/orch_api_ratelimit.h"
#include "api/orch_api_schema.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"
#include "plan/orch_plan_compile.h"

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  cr_assert_not_null(f);
  fputs(text, f);
  fclose(f);
}

/* Our diff of a -> b equals `diff -u` of the same texts (after its two header lines, which carry names). */
static void same_as_gnu(const char *a, const char *b) {
  char dir[64], cmd[1000], pa[300], pb[300], po[300];
  scratch_dir_make(dir, sizeof dir, "/tmp", "diff");
  snprintf(pa, sizeof pa, "%s/a", dir);
  snprintf(pb, sizeof pb, "%s/b", dir);
  snprintf(po, sizeof po, "%s/out", dir);
  write_file(pa, a);
  write_file(pb, b);
  snprintf(cmd, sizeof cmd, "diff -u %s %s | tail -n +3 > %s", pa, pb, po);
  cr_assert_neq(system(cmd), -1);
  struct orch_buf want = ORCH_BUF_INIT(0), got = ORCH_BUF_INIT(0);
  struct orch_error err = {0};
  cr_assert_eq(orch_plan_read_file(po, 1 << 20, &want, &err), 0);
  cr_assert_eq(orch_api_diff_unified(a, b, "a", "b", &got), 0);
  const char *body = strstr(orch_buf_cstr(&got), "+++ b\n");
  cr_assert_str_eq(body ? body + 6 : "", orch_buf_cstr(&want), "ours:\n%s\ndiff -u:\n%s", orch_buf_cstr(&got),
                   orch_buf_cstr(&want));
  orch_buf_free(&want);
  orch_buf_free(&got);
  scratch_dir_remove(dir);
}

Test(diff, matches_gnu_diff) {
  const char *base = "local checks = require \"drs.checks\"\n\nreturn plan {\n  name = \"orders\",\n  waves = {\n"
                     "    wave \"db\" { servers = group \"orders-db\" },\n    wave \"app\" {\n      depends_on = { \"db\" },\n"
                     "      servers = tags { Tier = \"app\" },\n    },\n  },\n}\n";
  struct orch_buf b = ORCH_BUF_INIT(0);
  same_as_gnu(base, "return plan { name = \"x\" }\n");
  same_as_gnu("", "one\ntwo\n");
  same_as_gnu("one\ntwo\n", "");
  same_as_gnu("a\nb\nc\n", "a\nB\nc\n");
  same_as_gnu("a\nb\nc", "a\nb\nc\n"); /* no newline at the end */
  same_as_gnu(base, "-- a comment\n" "local checks = require \"drs.checks\"\n\nreturn plan {\n  name = \"orders\",\n  waves = {\n"
                    "    wave \"db\" { servers = group \"orders-db\" },\n    wave \"app\" {\n      depends_on = { \"db\" },\n"
                    "      servers = tags { Tier = \"app\" },\n      approval = \"go?\",\n    },\n  },\n}\n");
  /* far-apart edits make two hunks, near ones one */
  for (int i = 0; i < 40; i++) cr_assert_eq(orch_buf_printf(&b, "line %d\n", i), 0);
  char *c = orch_strdup(orch_buf_cstr(&b));
  c[strlen("line 0\nline 1\nline ")] = '7';
  char *far = strstr(c, "line 30");
  far[5] = '9';
  same_as_gnu(orch_buf_cstr(&b), c);
  cr_assert_eq(orch_api_diff_unified("same\n", "same\n", "a", "b", &b), 0);
  orch_free(c);
  orch_buf_free(&b);
}

/* ---- Hub ------------------------------------------------------------------------------------- */

#define EXEC "01890000-0000-7000-8000-0000000000e1"

Test(hub, fan_out_drop_and_shutdown) {
  orch_json_init();
  struct orch_api_hub *hub = NULL;
  cr_assert_eq(orch_api_hub_new(16, &hub), 0);
  json_t *data = json_pack("{s:s}", "wave", "db");
  orch_api_hub_publish(hub, EXEC, 1, 1000, "Nobody", data, false); /* nobody listens: nothing kept */
  struct orch_api_hub_sub *fast = NULL, *slow = NULL;
  cr_assert_eq(orch_api_hub_subscribe(hub, EXEC, &fast), 0);
  cr_assert_eq(orch_api_hub_subscribe(hub, EXEC, &slow), 0);
  struct orch_api_hub_event *evs[64];
  size_t n = 0;
  cr_assert_eq(orch_api_hub_wait(fast, 0, 10, evs, 64, &n), ORCH_API_HUB_TIMEOUT);
  int64_t seen = 1; /* as after a catch-up from the journal that read event 1 */
  for (int64_t seq = 2; seq <= 40; seq++) {
    orch_api_hub_publish(hub, EXEC, seq, 1000 + seq, "WaveReady", data, seq == 40); /* never blocks */
    if (seq % 4 == 0) {
      cr_assert_eq(orch_api_hub_wait(fast, seen, 1000, evs, 64, &n), ORCH_API_HUB_EVENTS);
      for (size_t i = 0; i < n; i++) {
        cr_assert_eq(evs[i]->seq, seen + 1);
        seen = evs[i]->seq;
        cr_assert_str_eq(evs[i]->data, "{\"wave\":\"db\"}");
        orch_api_hub_event_release(hub, evs[i]);
      }
    }
  }
  cr_assert_eq(seen, 40);
  cr_assert_eq(orch_api_hub_wait(slow, 1, 10, evs, 64, &n), ORCH_API_HUB_DROPPED, "16 kept of 39: the slow one fell off");
  cr_assert_eq(orch_api_hub_wait(slow, 30, 10, evs, 64, &n), ORCH_API_HUB_EVENTS);
  cr_assert_eq(n, 10);
  cr_assert(evs[n - 1]->finished);
  for (size_t i = 0; i < n; i++) orch_api_hub_event_release(hub, evs[i]);
  orch_api_hub_shutdown(hub);
  cr_assert_eq(orch_api_hub_wait(fast, 40, 60000, evs, 64, &n), ORCH_API_HUB_SHUTDOWN);
  orch_api_hub_unsubscribe(fast);
  orch_api_hub_unsubscribe(slow);
  orch_api_hub_free(hub);
  json_decref(data);
}

/* ---- Rate limits ----------------------------------------------------------------------------- */

Test(ratelimit, buckets_refill_with_the_clock) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(1000, 0, &vc), 0);
  struct orch_api_ratelimit *rl = NULL;
  cr_assert_eq(orch_api_ratelimit_new(orch_vclock_clock(vc), &rl), 0);
  int64_t retry = 0;
  int passed = 0;
  for (int i = 0; i < 25; i++) passed += orch_api_ratelimit_take(rl, "a", 10, &retry);
  cr_assert_eq(passed, 20, "a burst of twice the rate");
  cr_assert_eq(retry, 1);
  cr_assert(orch_api_ratelimit_take(rl, "b", 10, &retry), "buckets are per key");
  orch_vclock_advance(vc, 500);
  passed = 0;
  for (int i = 0; i < 10; i++) passed += orch_api_ratelimit_take(rl, "a", 10, &retry);
  cr_assert_eq(passed, 5, "half a second refills 5");
  cr_assert(orch_api_ratelimit_take(rl, "a", 0, &retry), "0 is no limit");
  for (int i = 0; i < 10000; i++) {
    char key[32];
    snprintf(key, sizeof key, "k%d", i);
    cr_assert(orch_api_ratelimit_take(rl, key, 1, &retry), "a full table reuses idle buckets");
  }
  orch_api_ratelimit_free(rl);
  orch_vclock_free(vc);
}

/* ---- Schemas --------------------------------------------------------------------------------- */

Test(schema, messages_name_the_field) {
  orch_json_init();
  struct orch_api_schemas *s = NULL;
  struct orch_error err = {0};
  const char *extra[] = {"{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000}"};
  cr_assert_eq(orch_api_schemas_load(extra, 1, &s, &err), 0, "%s", err.message);
  json_t *problems = NULL;
  json_t *v = json_loads("{\"name\":\"\",\"account\":\"12\",\"region\":\"us-east-1\",\"selector\":{\"server_ids\":[\"s-1\",\"s-1\"]},\"x\":1}", 0, NULL);
  size_t n = orch_api_schema_check(s, "ProtectionGroupInput", NULL, v, "body", &problems);
  cr_assert_geq(n, 4);
  struct orch_buf b = ORCH_BUF_INIT(0);
  cr_assert_eq(orch_json_dump(&b, problems, JSON_COMPACT), 0);
  const char *text = orch_buf_cstr(&b);
  cr_assert(strstr(text, "body.name\",\"message\":\"must not be empty"), "%s", text);
  cr_assert(strstr(text, "body.account\",\"message\":\"'12' does not match ^[0-9]{12}$"), "%s", text);
  cr_assert(strstr(text, "body.selector.server_ids[0]\",\"message\":\"'s-1' does not match"), "%s", text);
  cr_assert(strstr(text, "body.selector.server_ids[1]\",\"message\":\"repeats item 0"), "%s", text);
  cr_assert(strstr(text, "body.x\",\"message\":\"is not a known field"), "%s", text);
  orch_buf_free(&b);
  json_decref(problems);
  json_decref(v);
  json_t *seven = orch_api_schema_coerce(orch_api_schemas_extra(s, 0), "7");
  cr_assert_eq(orch_api_schema_check(s, NULL, orch_api_schemas_extra(s, 0), seven, "query.limit", NULL), 0);
  json_decref(seven);
  json_t *zero = orch_api_schema_coerce(orch_api_schemas_extra(s, 0), "0");
  cr_assert_eq(orch_api_schema_check(s, NULL, orch_api_schemas_extra(s, 0), zero, "query.limit", NULL), 1);
  json_decref(zero);
  cr_assert_null(orch_api_schema_coerce(orch_api_schemas_extra(s, 0), "7x"));
  orch_api_schemas_free(s);
}
