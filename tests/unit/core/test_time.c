/* Tests for orch_time: ISO-8601 with zones and fractions, the SigV4 basic form, RFC 1123, epoch, and
 * durations. Expected values computed independently (date -u -d ... +%s). */
#include <criterion/criterion.h>

#include "core/orch_time.h"

/* 2026-11-30T01:02:03.456Z = 1796000523456 ms (date -u -d 2026-11-30T01:02:03Z +%s -> 1796000523). */
#define T0 1796000523456LL

Test(time, format_forms) {
  char out[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(out, T0);
  cr_assert_str_eq(out, "2026-11-30T01:02:03.456Z");
  orch_time_iso8601_s(out, T0);
  cr_assert_str_eq(out, "2026-11-30T01:02:03Z");
  orch_time_amz(out, T0);
  cr_assert_str_eq(out, "20261130T010203Z");
  orch_time_rfc1123(out, T0);
  cr_assert_str_eq(out, "Mon, 30 Nov 2026 01:02:03 GMT");
  orch_time_iso8601(out, -1);
  cr_assert_str_eq(out, "1969-12-31T23:59:59.999Z");
}

Test(time, parse_iso8601_variants) {
  int64_t ms = 0;
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T01:02:03.456Z", &ms), 0);
  cr_assert_eq(ms, T0);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T01:02:03.456789Z", &ms), 0);
  cr_assert_eq(ms, T0, "extra fraction digits are truncated to ms");
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T02:02:03.456+01:00", &ms), 0);
  cr_assert_eq(ms, T0);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-29T20:02:03.456-0500", &ms), 0);
  cr_assert_eq(ms, T0);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30 01:02:03Z", &ms), 0);
  cr_assert_eq(ms, T0 - 456);
  cr_assert_eq(orch_time_parse_iso8601("20261130T010203Z", &ms), 0);
  cr_assert_eq(ms, T0 - 456);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30", &ms), 0);
  cr_assert_eq(ms, 1795996800000LL);
  cr_assert_eq(orch_time_parse_iso8601("2024-02-29T00:00:00Z", &ms), 0, "leap day");
}

Test(time, parse_iso8601_rejects) {
  int64_t ms = 0;
  cr_assert_eq(orch_time_parse_iso8601("2026-13-01T00:00:00Z", &ms), ORCH_ERANGE);
  cr_assert_eq(orch_time_parse_iso8601("2025-02-29T00:00:00Z", &ms), ORCH_ERANGE);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T25:00:00Z", &ms), ORCH_ERANGE);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T01:02Z", &ms), ORCH_EPARSE);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T01:02:03.Z", &ms), ORCH_EPARSE);
  cr_assert_eq(orch_time_parse_iso8601("2026-11-30T01:02:03Zjunk", &ms), ORCH_EPARSE);
  cr_assert_eq(orch_time_parse_iso8601("yesterday", &ms), ORCH_EPARSE);
  cr_assert_eq(orch_time_parse_iso8601("", &ms), ORCH_EPARSE);
}

Test(time, parse_rfc1123_and_epoch) {
  int64_t ms = 0;
  cr_assert_eq(orch_time_parse_rfc1123("Mon, 30 Nov 2026 01:02:03 GMT", &ms), 0);
  cr_assert_eq(ms, T0 - 456);
  cr_assert_eq(orch_time_parse_rfc1123("Mon, 30 Nov 2026 01:02:03 EST", &ms), ORCH_EPARSE);
  cr_assert_eq(orch_time_parse_rfc1123("Mon 30 Nov 2026 01:02:03 GMT", &ms), ORCH_EPARSE);
  cr_assert_eq(orch_time_parse_any("1796000523.456", &ms), 0);
  cr_assert_eq(ms, T0);
  cr_assert_eq(orch_time_parse_any("1796000523", &ms), 0);
  cr_assert_eq(ms, T0 - 456);
  cr_assert_eq(orch_time_parse_any("Mon, 30 Nov 2026 01:02:03 GMT", &ms), 0);
  cr_assert_eq(orch_time_parse_any("12x", &ms), ORCH_EPARSE);
}

Test(time, durations) {
  int64_t ms = 0;
  struct orch_error err = {0};
  cr_assert_eq(orch_duration_parse("45m", &ms, &err), 0);
  cr_assert_eq(ms, 45 * 60000);
  cr_assert_eq(orch_duration_parse("1h30m", &ms, &err), 0);
  cr_assert_eq(ms, 5400000);
  cr_assert_eq(orch_duration_parse("2d3h4m5s6ms", &ms, &err), 0);
  cr_assert_eq(ms, 2 * 86400000LL + 3 * 3600000 + 4 * 60000 + 5 * 1000 + 6);
  cr_assert_eq(orch_duration_parse("90", &ms, &err), 0);
  cr_assert_eq(ms, 90000, "a bare number is seconds");
  cr_assert_eq(orch_duration_parse("250ms", &ms, &err), 0);
  cr_assert_eq(ms, 250);
  cr_assert_eq(orch_duration_parse("", &ms, &err), ORCH_EPARSE);
  cr_assert_eq(orch_duration_parse("5x", &ms, &err), ORCH_EPARSE);
  cr_assert_str_eq(err.message, "duration '5x': unknown unit at 'x' (use d, h, m, s, ms)");
  cr_assert_eq(orch_duration_parse("30m1h", &ms, &err), ORCH_EPARSE);
  cr_assert_eq(orch_duration_parse("1h30", &ms, &err), ORCH_EPARSE);
  cr_assert_eq(orch_duration_parse("-5m", &ms, &err), ORCH_ERANGE);
  cr_assert_eq(orch_duration_parse("h", &ms, &err), ORCH_EPARSE);
  cr_assert_eq(orch_duration_parse("99999999999999999d", &ms, &err), ORCH_ERANGE);
}

Test(time, duration_format_round_trips) {
  char out[64];
  orch_duration_format(out, sizeof out, 5400000);
  cr_assert_str_eq(out, "1h30m");
  orch_duration_format(out, sizeof out, 1500);
  cr_assert_str_eq(out, "1s500ms");
  orch_duration_format(out, sizeof out, 0);
  cr_assert_str_eq(out, "0s");
  orch_duration_format(out, sizeof out, -60000);
  cr_assert_str_eq(out, "-1m");
  const int64_t samples[] = {1, 999, 60000, 3723004, 90061001};
  for (size_t i = 0; i < sizeof samples / sizeof samples[0]; i++) {
    int64_t back = 0;
    orch_duration_format(out, sizeof out, samples[i]);
    cr_assert_eq(orch_duration_parse(out, &back, NULL), 0, "%s", out);
    cr_assert_eq(back, samples[i], "%s", out);
  }
}
