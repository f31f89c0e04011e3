/* orch_str: trimming, splitting, percent-encoding, constant-time compare, hex, strict integers and
 * nearest-name suggestions. Uses orch_buf. */
#include "core/orch_str.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

struct orch_strview orch_str_trim(struct orch_strview s) {
  while (s.n && is_space(s.p[0])) s.p++, s.n--;
  while (s.n && is_space(s.p[s.n - 1])) s.n--;
  return s;
}

char *orch_str_trim_inplace(char *s) {
  struct orch_strview v = orch_str_trim((struct orch_strview){s, strlen(s)});
  memmove(s, v.p, v.n);
  s[v.n] = '\0';
  return s;
}

size_t orch_str_split(struct orch_strview s, char sep, struct orch_strview *parts, size_t max) {
  size_t count = 0;
  if (!max) return 0;
  const char *start = s.p, *end = s.p + s.n;
  for (const char *q = s.p; q < end; q++) {
    if (*q == sep && count + 1 < max) {
      parts[count++] = (struct orch_strview){start, (size_t)(q - start)};
      start = q + 1;
    }
  }
  parts[count++] = (struct orch_strview){start, (size_t)(end - start)};
  return count;
}

static bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int orch_str_uri_encode(struct orch_buf *out, const char *s, size_t n, bool keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  int rc = orch_buf_reserve(out, n);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      rc = orch_buf_putc(out, (char)c);
    } else {
      char esc[3] = {'%', hex[c >> 4], hex[c & 15]};
      rc = orch_buf_append(out, esc, 3);
    }
    if (rc) return rc;
  }
  return 0;
}

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int orch_str_uri_decode(struct orch_buf *out, const char *s, size_t n, bool plus_is_space) {
  int rc = orch_buf_reserve(out, n);
  if (rc) return rc;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c == '%') {
      if (i + 2 >= n) return ORCH_EPARSE;
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return ORCH_EPARSE;
      c = (char)(hi * 16 + lo);
      i += 2;
    } else if (c == '+' && plus_is_space) {
      c = ' ';
    }
    rc = orch_buf_putc(out, c);
    if (rc) return rc;
  }
  return 0;
}

bool orch_str_ct_equal(const void *a, size_t alen, const void *b, size_t blen) {
  const unsigned char *x = a, *y = b;
  unsigned char diff = (unsigned char)(alen != blen);
  size_t n = alen < blen ? alen : blen;
  for (size_t i = 0; i < n; i++) diff |= (unsigned char)(x[i] ^ y[i]);
  return diff == 0;
}

void orch_str_hex(char *out, const unsigned char *in, size_t n) {
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = hex[in[i] >> 4];
    out[2 * i + 1] = hex[in[i] & 15];
  }
  out[2 * n] = '\0';
}

long orch_str_unhex(unsigned char *out, size_t cap, const char *hex, size_t n) {
  if (n % 2) return ORCH_EPARSE;
  if (n / 2 > cap) return ORCH_ETOOBIG;
  for (size_t i = 0; i < n; i += 2) {
    int hi = hexval(hex[i]), lo = hexval(hex[i + 1]);
    if (hi < 0 || lo < 0) return ORCH_EPARSE;
    out[i / 2] = (unsigned char)(hi * 16 + lo);
  }
  return (long)(n / 2);
}

int orch_str_to_ll(const char *s, long long min, long long max, long long *out) {
  if (!s || !*s || is_space(*s)) return ORCH_EPARSE;
  char *end = NULL;
  errno = 0;
  long long v = strtoll(s, &end, 10);
  if (*end != '\0') return ORCH_EPARSE;
  if (errno == ERANGE || v < min || v > max) return ORCH_ERANGE;
  *out = v;
  return 0;
}

bool orch_str_vfmt(char *out, size_t n, const char *fmt, va_list ap) {
  if (!n) return false;
  int w = vsnprintf(out, n, fmt, ap);
  if (w >= 0 && (size_t)w < n) return true;
  if (w < 0) out[0] = '\0';
  else if (n >= 4) memcpy(out + n - 4, "...", 4);
  return false;
}

bool orch_str_fmt(char *out, size_t n, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  bool fit = orch_str_vfmt(out, n, fmt, ap);
  va_end(ap);
  return fit;
}

bool orch_str_starts_with(const char *s, const char *prefix) {
  return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool orch_str_ends_with(const char *s, const char *suffix) {
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

bool orch_str_iequal(const char *a, const char *b) {
  for (; *a && *b; a++, b++)
    if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return false;
  return *a == *b;
}

size_t orch_str_distance(const char *a, const char *b, size_t cap) {
  size_t n = strlen(a), m = strlen(b);
  if (n > 64 || m > 64) return cap; /* names longer than this are never typos of each other here */
  size_t row[65];
  for (size_t j = 0; j <= m; j++) row[j] = j;
  for (size_t i = 1; i <= n; i++) {
    size_t prev = row[0], best = row[0] = i;
    for (size_t j = 1; j <= m; j++) {
      size_t cur = row[j];
      size_t cost = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]) ? 0 : 1;
      size_t v = prev + cost;
      if (row[j] + 1 < v) v = row[j] + 1;
      if (row[j - 1] + 1 < v) v = row[j - 1] + 1;
      row[j] = v;
      prev = cur;
      if (v < best) best = v;
    }
    if (best >= cap) return cap;
  }
  return row[m] < cap ? row[m] : cap;
}

const char *orch_str_nearest(const char *word, const char *const *candidates) {
  size_t len = strlen(word);
  size_t limit = len <= 3 ? 1 : len <= 6 ? 2 : 3; /* plausible typo distance for this length */
  const char *best = NULL;
  size_t best_d = limit + 1;
  for (size_t i = 0; candidates[i]; i++) {
    size_t d = orch_str_distance(word, candidates[i], best_d);
    if (d < best_d) {
      best_d = d;
      best = candidates[i];
    }
  }
  return best;
}
