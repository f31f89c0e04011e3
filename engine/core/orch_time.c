/* orch_time: ISO-8601 / RFC 1123 / epoch timestamps and human durations. Uses libc (timegm, gmtime_r). */
#include "core/orch_time.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const wdays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                     "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static void split_ms(int64_t ms, struct tm *tm, int *frac) {
  int64_t secs = floor_div(ms, 1000);
  *frac = (int)(ms - secs * 1000);
  time_t t = (time_t)secs;
  gmtime_r(&t, tm);
}

/* The three ISO-8601 shapes: extended with milliseconds, extended, and basic (x-amz-date). */
enum iso_shape { ISO_MS, ISO_S, ISO_BASIC };

static void iso_format(char out[ORCH_TIME_ISO_MAX], int64_t ms, enum iso_shape shape) {
  struct tm tm;
  int frac;
  split_ms(ms, &tm, &frac);
  const char *date_sep = shape == ISO_BASIC ? "" : "-", *time_sep = shape == ISO_BASIC ? "" : ":";
  int n = snprintf(out, ORCH_TIME_ISO_MAX, "%04d%s%02d%s%02dT%02d%s%02d%s%02d", tm.tm_year + 1900, date_sep,
                   tm.tm_mon + 1, date_sep, tm.tm_mday, tm.tm_hour, time_sep, tm.tm_min, time_sep, tm.tm_sec);
  if (n > 0 && n < ORCH_TIME_ISO_MAX)
    snprintf(out + n, (size_t)(ORCH_TIME_ISO_MAX - n), shape == ISO_MS ? ".%03dZ" : "Z", frac);
}

void orch_time_iso8601(char out[ORCH_TIME_ISO_MAX], int64_t ms) { iso_format(out, ms, ISO_MS); }

void orch_time_iso8601_s(char out[ORCH_TIME_ISO_MAX], int64_t ms) { iso_format(out, ms, ISO_S); }

void orch_time_amz(char out[ORCH_TIME_ISO_MAX], int64_t ms) { iso_format(out, ms, ISO_BASIC); }

void orch_time_rfc1123(char out[ORCH_TIME_ISO_MAX], int64_t ms) {
  struct tm tm;
  int frac;
  split_ms(ms, &tm, &frac);
  snprintf(out, ORCH_TIME_ISO_MAX, "%s, %02d %s %04d %02d:%02d:%02d GMT", wdays[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Read exactly `n` digits. */
static bool digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i])) return false;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return true;
}

static bool lit(const char **p, char c) {
  if (**p != c) return false;
  (*p)++;
  return true;
}

static int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : d[m - 1];
}

static int make_ms(int y, int mo, int d, int h, int mi, int s, int frac_ms, int64_t *ms) {
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 60)
    return ORCH_ERANGE;
  struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = s};
  time_t t = timegm(&tm);
  *ms = (int64_t)t * 1000 + frac_ms;
  return 0;
}

int orch_time_parse_iso8601(const char *s, int64_t *ms) {
  const char *p = s;
  int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
  bool basic = strlen(s) >= 8 && isdigit((unsigned char)s[4]);
  if (!digits(&p, 4, &y)) return ORCH_EPARSE;
  if (!basic && !lit(&p, '-')) return ORCH_EPARSE;
  if (!digits(&p, 2, &mo)) return ORCH_EPARSE;
  if (!basic && !lit(&p, '-')) return ORCH_EPARSE;
  if (!digits(&p, 2, &d)) return ORCH_EPARSE;
  int64_t offset_min = 0;
  if (*p == 'T' || *p == 't' || (*p == ' ' && !basic)) {
    p++;
    if (!digits(&p, 2, &h)) return ORCH_EPARSE;
    if (!basic && !lit(&p, ':')) return ORCH_EPARSE;
    if (!digits(&p, 2, &mi)) return ORCH_EPARSE;
    if (!basic && !lit(&p, ':')) return ORCH_EPARSE;
    if (!digits(&p, 2, &sec)) return ORCH_EPARSE;
    if (*p == '.' || *p == ',') {
      p++;
      int n = 0;
      if (!isdigit((unsigned char)*p)) return ORCH_EPARSE;
      while (isdigit((unsigned char)*p)) {
        if (n < 3) frac = frac * 10 + (*p - '0');
        n++, p++;
      }
      for (; n < 3; n++) frac *= 10;
    }
    if (*p == 'Z' || *p == 'z') {
      p++;
    } else if (*p == '+' || *p == '-') {
      int sign = *p == '-' ? -1 : 1, oh, om = 0;
      p++;
      if (!digits(&p, 2, &oh)) return ORCH_EPARSE;
      if (*p == ':') p++;
      if (*p && !digits(&p, 2, &om)) return ORCH_EPARSE;
      if (oh > 23 || om > 59) return ORCH_ERANGE;
      offset_min = sign * (oh * 60 + om);
    } else if (*p) {
      return ORCH_EPARSE;
    }
  }
  if (*p) return ORCH_EPARSE;
  int rc = make_ms(y, mo, d, h, mi, sec, frac, ms);
  if (rc) return rc;
  *ms -= offset_min * 60000;
  return 0;
}

int orch_time_parse_rfc1123(const char *s, int64_t *ms) {
  const char *p = s;
  int d, y, h, mi, sec, mo = 0;
  bool wday_ok = false;
  for (int i = 0; i < 7; i++)
    if (strncmp(p, wdays[i], 3) == 0) wday_ok = true;
  if (!wday_ok) return ORCH_EPARSE;
  p += 3;
  if (!lit(&p, ',') || !lit(&p, ' ') || !digits(&p, 2, &d) || !lit(&p, ' ')) return ORCH_EPARSE;
  for (int i = 0; i < 12; i++)
    if (strncmp(p, months[i], 3) == 0) mo = i + 1;
  if (!mo) return ORCH_EPARSE;
  p += 3;
  if (!lit(&p, ' ') || !digits(&p, 4, &y) || !lit(&p, ' ') || !digits(&p, 2, &h) || !lit(&p, ':') ||
      !digits(&p, 2, &mi) || !lit(&p, ':') || !digits(&p, 2, &sec) || !lit(&p, ' '))
    return ORCH_EPARSE;
  if (strcmp(p, "GMT") != 0 && strcmp(p, "UTC") != 0) return ORCH_EPARSE;
  return make_ms(y, mo, d, h, mi, sec, 0, ms);
}

static int parse_epoch(const char *s, int64_t *ms) {
  const char *p = s;
  int64_t whole = 0;
  int frac = 0, n = 0;
  if (!isdigit((unsigned char)*p)) return ORCH_EPARSE;
  while (isdigit((unsigned char)*p)) {
    if (whole > (INT64_MAX / 1000 - 9) / 10) return ORCH_ERANGE;
    whole = whole * 10 + (*p++ - '0');
  }
  if (*p == '.') {
    p++;
    if (!isdigit((unsigned char)*p)) return ORCH_EPARSE;
    while (isdigit((unsigned char)*p)) {
      if (n < 3) frac = frac * 10 + (*p - '0');
      n++, p++;
    }
    for (; n < 3; n++) frac *= 10;
  }
  if (*p) return ORCH_EPARSE;
  *ms = whole * 1000 + frac;
  return 0;
}

int orch_time_parse_any(const char *s, int64_t *ms) {
  if (orch_time_parse_iso8601(s, ms) == 0) return 0;
  if (orch_time_parse_rfc1123(s, ms) == 0) return 0;
  return parse_epoch(s, ms);
}

int orch_duration_parse(const char *s, int64_t *ms, struct orch_error *err) {
  const char *p = s;
  int64_t total = 0;
  int last_rank = 5; /* units must come largest first, each at most once */
  if (!*p) return orch_error_set(err, ORCH_EPARSE, "empty duration");
  if (*p == '-') return orch_error_set(err, ORCH_ERANGE, "duration '%s' is negative", s);
  while (*p) {
    if (!isdigit((unsigned char)*p))
      return orch_error_set(err, ORCH_EPARSE, "duration '%s': expected a number at '%s'", s, p);
    int64_t n = 0;
    while (isdigit((unsigned char)*p)) {
      if (n > 1000000000LL) return orch_error_set(err, ORCH_ERANGE, "duration '%s' is too large", s);
      n = n * 10 + (*p++ - '0');
    }
    int64_t unit;
    int rank;
    if (p[0] == 'm' && p[1] == 's') unit = 1, rank = 0, p += 2;
    else if (*p == 's') unit = 1000, rank = 1, p++;
    else if (*p == 'm') unit = 60000, rank = 2, p++;
    else if (*p == 'h') unit = 3600000, rank = 3, p++;
    else if (*p == 'd') unit = 86400000, rank = 4, p++;
    else if (*p == '\0' && p - s == (long)strlen(s) && total == 0 && last_rank == 5) unit = 1000, rank = 1;
    else return orch_error_set(err, ORCH_EPARSE, "duration '%s': unknown unit at '%s' (use d, h, m, s, ms)", s, p);
    if (rank >= last_rank)
      return orch_error_set(err, ORCH_EPARSE, "duration '%s': units must go from largest to smallest, each once", s);
    last_rank = rank;
    total += n * unit;
    if (total > 100LL * 365 * 86400000) return orch_error_set(err, ORCH_ERANGE, "duration '%s' is too large", s);
  }
  *ms = total;
  return 0;
}

void orch_duration_format(char *out, size_t outsz, int64_t ms) {
  static const struct { int64_t unit; const char *name; } units[] = {
      {86400000, "d"}, {3600000, "h"}, {60000, "m"}, {1000, "s"}, {1, "ms"}};
  size_t used = 0;
  if (!outsz) return;
  out[0] = '\0';
  if (ms <= 0) {
    snprintf(out, outsz, "%s", ms < 0 ? "-" : "0s");
    if (ms == 0) return;
    used = 1;
    ms = -ms;
  }
  for (size_t i = 0; i < sizeof units / sizeof units[0] && used < outsz; i++) {
    int64_t n = ms / units[i].unit;
    if (!n) continue;
    ms -= n * units[i].unit;
    int w = snprintf(out + used, outsz - used, "%lld%s", (long long)n, units[i].name);
    if (w < 0) return;
    used += (size_t)w;
  }
}
