/* orch_time: formatting and parsing of the time forms the engine meets: ISO-8601 with milliseconds and
 * zones, the SigV4 basic form (20261130T010203Z), RFC 1123 for HTTP, epoch seconds; and durations
 * ("45m", "1h30m", "90s", "500ms", "2d"). All times are int64 milliseconds since the Unix epoch (UTC).
 * Uses libc only. */
#ifndef ORCH_TIME_H
#define ORCH_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "core/orch_error.h"

#define ORCH_TIME_ISO_MAX 32

/* "2026-11-30T01:02:03.456Z" (always UTC, always milliseconds). */
void orch_time_iso8601(char out[ORCH_TIME_ISO_MAX], int64_t ms);
/* "2026-11-30T01:02:03Z" (seconds precision, as AWS query/ec2 protocols write timestamps). */
void orch_time_iso8601_s(char out[ORCH_TIME_ISO_MAX], int64_t ms);
/* "20261130T010203Z" (x-amz-date). */
void orch_time_amz(char out[ORCH_TIME_ISO_MAX], int64_t ms);
/* "Mon, 30 Nov 2026 01:02:03 GMT". */
void orch_time_rfc1123(char out[ORCH_TIME_ISO_MAX], int64_t ms);

/* Accepts "2026-11-30T01:02:03Z", fractions of any length (kept to ms), zones "Z", "+01:00", "-0500",
 * a space instead of 'T', a date alone ("2026-11-30"), and the basic form "20261130T010203Z". */
int orch_time_parse_iso8601(const char *s, int64_t *ms) ORCH_MUST_CHECK;
int orch_time_parse_rfc1123(const char *s, int64_t *ms) ORCH_MUST_CHECK;
/* Any of the above, or epoch seconds with an optional fraction ("1700000000.5"). */
int orch_time_parse_any(const char *s, int64_t *ms) ORCH_MUST_CHECK;

/* Durations: a sequence of <number><unit> with units d, h, m, s, ms ("1h30m", "2m30s", "250ms");
 * a bare number is seconds. Negative or overflowing values are ORCH_ERANGE, anything else malformed is
 * ORCH_EPARSE with `err` saying what was wrong. */
int orch_duration_parse(const char *s, int64_t *ms, struct orch_error *err) ORCH_MUST_CHECK;
/* The shortest exact form: 5400000 -> "1h30m", 1500 -> "1s500ms", 0 -> "0s". */
void orch_duration_format(char *out, size_t outsz, int64_t ms);

#endif
