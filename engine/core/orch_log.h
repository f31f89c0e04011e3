/* orch_log: structured logging, one line per record, as text or JSON lines, with levels and fields
 * (request id and execution id come from a per-thread context). Thread-safe.
 * Uses jansson (JSON lines), orch_buf, orch_time. */
#ifndef ORCH_LOG_H
#define ORCH_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/orch_error.h"

enum orch_log_level { ORCH_LOG_DEBUG, ORCH_LOG_INFO, ORCH_LOG_WARN, ORCH_LOG_ERROR, ORCH_LOG_OFF };
enum orch_log_format { ORCH_LOG_TEXT, ORCH_LOG_JSON };

struct orch_log_field {
  const char *key;
  const char *value;
};

/* Set level, format and destination (NULL = stderr). Not thread-safe against concurrent logging:
 * call at start-up. */
void orch_log_configure(enum orch_log_level level, enum orch_log_format format, FILE *out);
enum orch_log_level orch_log_level_get(void);
bool orch_log_enabled(enum orch_log_level level);

int orch_log_level_parse(const char *s, enum orch_log_level *out) ORCH_MUST_CHECK;
int orch_log_format_parse(const char *s, enum orch_log_format *out) ORCH_MUST_CHECK;
const char *orch_log_level_name(enum orch_log_level level);

/* Where finished records go instead of the destination, while set: `fn` gets each record as one line
 * (no newline) and its level, called under the log's lock, so it must not log itself. The CLI's live
 * progress sets one while it draws bars, so log records are printed above them instead of tearing
 * through them. NULL restores the destination. */
typedef void (*orch_log_sink)(void *ctx, enum orch_log_level level, const char *record);
void orch_log_set_sink(orch_log_sink fn, void *ctx);

/* The calling thread's context fields, added to every record it writes; NULL clears one. The strings
 * are copied (truncated at 63 bytes). */
void orch_log_context_set(const char *request_id, const char *execution_id);

/* Write one record with extra fields. */
void orch_log_write(enum orch_log_level level, const struct orch_log_field *fields, size_t nfields,
                    const char *fmt, ...) ORCH_PRINTF(4, 5);

#define orch_log_debug(...) orch_log_write(ORCH_LOG_DEBUG, NULL, 0, __VA_ARGS__)
#define orch_log_info(...) orch_log_write(ORCH_LOG_INFO, NULL, 0, __VA_ARGS__)
#define orch_log_warn(...) orch_log_write(ORCH_LOG_WARN, NULL, 0, __VA_ARGS__)
#define orch_log_error(...) orch_log_write(ORCH_LOG_ERROR, NULL, 0, __VA_ARGS__)

#endif
