/* orch_str: string helpers the engine needs everywhere: trimming, splitting, RFC 3986 percent-encoding
 * (SigV4 depends on it), constant-time comparison, hex, strict number parsing, and "did you mean"
 * suggestions. Uses orch_buf and orch_error. */
#ifndef ORCH_STR_H
#define ORCH_STR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

/* A view into someone else's bytes; not NUL-terminated. */
struct orch_strview {
  const char *p;
  size_t n;
};

/* Trim ASCII whitespace from both ends of a view. */
struct orch_strview orch_str_trim(struct orch_strview s);
/* Trim in place; returns s. */
char *orch_str_trim_inplace(char *s);

/* Split `s` at each `sep` into at most `max` views (the last one takes the rest). Returns the number of
 * parts (at least 1 for any input, including an empty one). */
size_t orch_str_split(struct orch_strview s, char sep, struct orch_strview *parts, size_t max);

/* RFC 3986 percent-encoding: unreserved characters (A-Z a-z 0-9 - . _ ~) pass, everything else becomes
 * %XX in upper-case hex. When `keep_slash` is true '/' passes too (URI paths). */
int orch_str_uri_encode(struct orch_buf *out, const char *s, size_t n, bool keep_slash) ORCH_MUST_CHECK;
/* Decode %XX (and, when `plus_is_space`, '+'). Malformed escapes are ORCH_EPARSE. */
int orch_str_uri_decode(struct orch_buf *out, const char *s, size_t n, bool plus_is_space)
    ORCH_MUST_CHECK;

/* Compare two byte strings in time that depends only on their lengths. */
bool orch_str_ct_equal(const void *a, size_t alen, const void *b, size_t blen);

/* Lower-case hex of `n` bytes into `out` (2n + 1 bytes). */
void orch_str_hex(char *out, const unsigned char *in, size_t n);
/* Decode hex (either case) into `out` (cap bytes); returns the byte count or ORCH_EPARSE/ETOOBIG. */
long orch_str_unhex(unsigned char *out, size_t cap, const char *hex, size_t n);

/* Strict integer parsing: the whole string must be a decimal integer within [min, max]. */
int orch_str_to_ll(const char *s, long long min, long long max, long long *out) ORCH_MUST_CHECK;

/* snprintf for text that may be cut (messages, error contexts, log lines): a result too long for `out`
 * ends in "..." so the cut shows. True when it fit whole. `n` must be at least 4. */
bool orch_str_fmt(char *out, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool orch_str_vfmt(char *out, size_t n, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
bool orch_str_starts_with(const char *s, const char *prefix);
bool orch_str_ends_with(const char *s, const char *suffix);
bool orch_str_iequal(const char *a, const char *b);

/* Levenshtein distance (byte-wise, case-insensitive), capped at `cap` for speed. */
size_t orch_str_distance(const char *a, const char *b, size_t cap);
/* The candidate nearest to `word` if it is close enough to be a plausible typo, else NULL.
 * `candidates` is a NULL-terminated array. */
const char *orch_str_nearest(const char *word, const char *const *candidates);

#endif
