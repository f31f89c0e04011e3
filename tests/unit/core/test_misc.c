/* Tests for orch_error (the code table), orch_id (UUIDv7 order and format, AWS-style ids), orch_clock
 * (virtual clock), and orch_log (text and JSON lines with context fields). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/orch_clock.h"
#include "core/orch_id.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_time.h"

Test(error, table_and_format) {
  cr_assert_str_eq(orch_error_name(ORCH_ENOMEM), "ENOMEM");
  cr_assert_str_eq(orch_error_str(ORCH_ENOMEM), "out of memory");
  cr_assert_str_eq(orch_error_name(-9999), "EUNKNOWN");
  struct orch_error err = {0};
  cr_assert_eq(orch_error_setc(&err, ORCH_EPARSE, "plan.lua:3:7", "unexpected '%s'", "}"), ORCH_EPARSE);
  char line[800];
  cr_assert_str_eq(orch_error_format(&err, line, sizeof line), "plan.lua:3:7: unexpected '}'");
  orch_error_prefix(&err, "loading %s", "plan.lua");
  cr_assert_str_eq(err.message, "loading plan.lua: unexpected '}'");
  cr_assert_eq(orch_error_set(NULL, ORCH_EIO, "ignored"), ORCH_EIO, "a NULL error record is allowed");
  orch_error_set(&err, ORCH_ETIMEDOUT, NULL);
  cr_assert_str_eq(err.message, "timed out", "no format: the table's message");
  cr_assert_str_eq(err.context, "");
}

Test(id, uuid7_format_order_and_time) {
  char a[ORCH_ID_UUID_LEN + 1], b[ORCH_ID_UUID_LEN + 1];
  cr_assert_eq(orch_id_uuid7(a, 1796000523456LL), 0);
  cr_assert_eq(strlen(a), 36);
  cr_assert_eq(a[14], '7', "version nibble");
  cr_assert(strchr("89ab", a[19]) != NULL, "RFC 9562 variant");
  int64_t ms = 0;
  cr_assert_eq(orch_id_uuid7_time(a, &ms), 0);
  cr_assert_eq(ms, 1796000523456LL);
  /* Many ids in the same millisecond still sort in creation order. */
  for (int i = 0; i < 5000; i++) {
    cr_assert_eq(orch_id_uuid7(b, 1796000523456LL), 0);
    cr_assert_gt(strcmp(b, a), 0, "id %d did not sort after the previous one", i);
    memcpy(a, b, sizeof a);
  }
  cr_assert_eq(orch_id_uuid7_time("not-a-uuid", &ms), ORCH_EPARSE);
}

Test(id, aws_style_ids) {
  char id[32];
  cr_assert_eq(orch_id_hex(id, sizeof id, "s-", 17), 0);
  cr_assert_eq(strlen(id), 19);
  cr_assert(strncmp(id, "s-", 2) == 0);
  cr_assert_eq(strspn(id + 2, "0123456789abcdef"), 17);
  char other[32];
  cr_assert_eq(orch_id_hex(other, sizeof other, "s-", 17), 0);
  cr_assert_str_neq(id, other);
  cr_assert_eq(orch_id_hex(id, 10, "drsjob-", 17), ORCH_ETOOBIG);
}

Test(clock, virtual_clock_advances_only_when_told) {
  struct orch_vclock *vc = NULL;
  cr_assert_eq(orch_vclock_new(1000000, 0, &vc), 0);
  const struct orch_clock *c = orch_vclock_clock(vc);
  cr_assert_eq(orch_clock_now_ms(c), 1000000);
  orch_vclock_advance(vc, 1500);
  cr_assert_eq(orch_clock_now_ms(c), 1001500);
  cr_assert_eq(orch_clock_now_ms(c), 1001500, "frozen at speed 0");
  orch_vclock_set_speed(vc, 1000); /* 1 real ms = 1 virtual s */
  struct timespec ts = {0, 20 * 1000000};
  nanosleep(&ts, NULL);
  int64_t now = orch_clock_now_ms(c);
  cr_assert_geq(now, 1001500 + 20000, "at speed 1000, 20 ms of real time is at least 20 s");
  orch_vclock_set_speed(vc, 0);
  int64_t frozen = orch_clock_now_ms(c);
  cr_assert_eq(orch_clock_now_ms(c), frozen);
  orch_vclock_free(vc);
  orch_vclock_free(NULL);
}

Test(clock, real_clock_is_sane) {
  int64_t now = orch_clock_now_ms(orch_clock_real());
  cr_assert_gt(now, 1700000000000LL);
  int64_t a = orch_clock_mono_ns(orch_clock_real()), b = orch_clock_mono_ns(orch_clock_real());
  cr_assert_geq(b, a);
}

static char *capture(enum orch_log_format fmt, enum orch_log_level level) {
  static char text[4096];
  FILE *f = tmpfile();
  cr_assert_not_null(f);
  orch_log_configure(level, fmt, f);
  orch_log_context_set("req-1", "exec-9");
  struct orch_log_field fields[] = {{"wave", "db tier"}, {"n", "3"}};
  orch_log_write(ORCH_LOG_INFO, fields, 2, "wave %s started", "db");
  orch_log_debug("hidden unless debug");
  orch_log_context_set(NULL, NULL);
  orch_log_configure(ORCH_LOG_INFO, ORCH_LOG_TEXT, NULL);
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  return text;
}

Test(log, text_lines_with_fields) {
  orch_json_init();
  char *out = capture(ORCH_LOG_TEXT, ORCH_LOG_INFO);
  cr_assert_not_null(strstr(out, " info  wave db started request_id=req-1 execution_id=exec-9 wave=\"db tier\" n=3\n"),
                     "got: %s", out);
  cr_assert_null(strstr(out, "hidden"));
}

Test(log, json_lines_parse_and_carry_fields) {
  orch_json_init();
  char *out = capture(ORCH_LOG_JSON, ORCH_LOG_DEBUG);
  char *second = strchr(out, '\n');
  cr_assert_not_null(second);
  *second = '\0';
  struct orch_error err = {0};
  json_t *j = orch_json_parse(out, strlen(out), 0, &err);
  cr_assert_not_null(j, "not JSON: %s", out);
  cr_assert_str_eq(json_string_value(json_object_get(j, "level")), "info");
  cr_assert_str_eq(json_string_value(json_object_get(j, "msg")), "wave db started");
  cr_assert_str_eq(json_string_value(json_object_get(j, "request_id")), "req-1");
  cr_assert_str_eq(json_string_value(json_object_get(j, "execution_id")), "exec-9");
  cr_assert_str_eq(json_string_value(json_object_get(j, "wave")), "db tier");
  int64_t ms;
  cr_assert_eq(orch_time_parse_iso8601(json_string_value(json_object_get(j, "ts")), &ms), 0);
  json_decref(j);
  cr_assert_not_null(strstr(second + 1, "hidden unless debug"), "debug level writes debug records");
}

struct sink_seen {
  int n;
  enum orch_log_level level;
  char record[512];
};

static void sink(void *ctx, enum orch_log_level level, const char *record) {
  struct sink_seen *s = ctx;
  s->n++;
  s->level = level;
  snprintf(s->record, sizeof s->record, "%s", record);
}

/* While a sink is set (the CLI's progress display), records go to it and not to the destination. */
Test(log, sink_takes_records_while_set) {
  orch_json_init();
  FILE *f = tmpfile();
  cr_assert_not_null(f);
  struct sink_seen seen = {0};
  orch_log_configure(ORCH_LOG_INFO, ORCH_LOG_TEXT, f);
  orch_log_set_sink(sink, &seen);
  orch_log_warn("engine says %d", 42);
  orch_log_debug("below the level: never seen");
  orch_log_set_sink(NULL, NULL);
  orch_log_warn("after the sink");
  orch_log_configure(ORCH_LOG_INFO, ORCH_LOG_TEXT, NULL);
  cr_assert_eq(seen.n, 1);
  cr_assert_eq(seen.level, ORCH_LOG_WARN);
  cr_assert_not_null(strstr(seen.record, " warn  engine says 42"), "got: %s", seen.record);
  cr_assert_null(strchr(seen.record, '\n'), "a record is one line without its newline");
  char text[1024];
  rewind(f);
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  cr_assert_null(strstr(text, "engine says"), "the sink's record did not also go to the destination: %s", text);
  cr_assert_not_null(strstr(text, "after the sink"), "without a sink records go to the destination again");
}

Test(log, level_and_format_names) {
  enum orch_log_level l;
  enum orch_log_format f;
  cr_assert_eq(orch_log_level_parse("warn", &l), 0);
  cr_assert_eq(l, ORCH_LOG_WARN);
  cr_assert_eq(orch_log_level_parse("warning", &l), 0);
  cr_assert_eq(orch_log_level_parse("loud", &l), ORCH_EINVAL);
  cr_assert_eq(orch_log_format_parse("json", &f), 0);
  cr_assert_eq(f, ORCH_LOG_JSON);
  cr_assert_eq(orch_log_format_parse("xml", &f), ORCH_EINVAL);
}
