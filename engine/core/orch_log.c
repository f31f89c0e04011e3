/* orch_log: text or JSON-lines records with levels and per-thread context fields. Uses jansson,
 * orch_buf, orch_time, orch_clock (real time: log stamps are always wall time). */
#include "core/orch_log.h"

#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "core/orch_buf.h"
#include "core/orch_clock.h"
#include "core/orch_json.h"
#include "core/orch_time.h"

static enum orch_log_level log_level = ORCH_LOG_INFO;
static enum orch_log_format log_format = ORCH_LOG_TEXT;
static FILE *log_out;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;
static orch_log_sink log_sink; /* under log_mu */
static void *log_sink_ctx;

static _Thread_local char ctx_request_id[64];
static _Thread_local char ctx_execution_id[64];

static const char *const level_names[] = {"debug", "info", "warn", "error", "off"};

void orch_log_configure(enum orch_log_level level, enum orch_log_format format, FILE *out) {
  log_level = level;
  log_format = format;
  log_out = out;
}

void orch_log_set_sink(orch_log_sink fn, void *ctx) {
  pthread_mutex_lock(&log_mu);
  log_sink = fn;
  log_sink_ctx = ctx;
  pthread_mutex_unlock(&log_mu);
}

enum orch_log_level orch_log_level_get(void) { return log_level; }

bool orch_log_enabled(enum orch_log_level level) { return level >= log_level && level < ORCH_LOG_OFF; }

const char *orch_log_level_name(enum orch_log_level level) {
  return level <= ORCH_LOG_OFF ? level_names[level] : "?";
}

int orch_log_level_parse(const char *s, enum orch_log_level *out) {
  for (int i = 0; i <= ORCH_LOG_OFF; i++) {
    if (strcmp(s, level_names[i]) == 0) {
      *out = (enum orch_log_level)i;
      return 0;
    }
  }
  if (strcmp(s, "warning") == 0) {
    *out = ORCH_LOG_WARN;
    return 0;
  }
  return ORCH_EINVAL;
}

int orch_log_format_parse(const char *s, enum orch_log_format *out) {
  if (strcmp(s, "text") == 0) *out = ORCH_LOG_TEXT;
  else if (strcmp(s, "json") == 0) *out = ORCH_LOG_JSON;
  else return ORCH_EINVAL;
  return 0;
}

void orch_log_context_set(const char *request_id, const char *execution_id) {
  snprintf(ctx_request_id, sizeof ctx_request_id, "%s", request_id ? request_id : "");
  snprintf(ctx_execution_id, sizeof ctx_execution_id, "%s", execution_id ? execution_id : "");
}

/* Text values with spaces, quotes or '=' are quoted so a line stays machine-splittable. */
static int text_field(struct orch_buf *b, const char *key, const char *value) {
  bool quote = strpbrk(value, " \"=\t\n") != NULL || !*value;
  if (!quote) return orch_buf_printf(b, " %s=%s", key, value);
  int rc = orch_buf_printf(b, " %s=\"", key);
  for (const char *p = value; *p && !rc; p++) {
    if (*p == '"' || *p == '\\') rc = orch_buf_putc(b, '\\');
    if (!rc) rc = orch_buf_putc(b, *p == '\n' ? ' ' : *p);
  }
  return rc ? rc : orch_buf_putc(b, '"');
}

static int format_text(struct orch_buf *b, const char *ts, enum orch_log_level level, const char *msg,
                       const struct orch_log_field *fields, size_t n) {
  int rc = orch_buf_printf(b, "%s %-5s %s", ts, level_names[level], msg);
  if (!rc && ctx_request_id[0]) rc = text_field(b, "request_id", ctx_request_id);
  if (!rc && ctx_execution_id[0]) rc = text_field(b, "execution_id", ctx_execution_id);
  for (size_t i = 0; i < n && !rc; i++) rc = text_field(b, fields[i].key, fields[i].value ? fields[i].value : "");
  return rc;
}

static int format_json(struct orch_buf *b, const char *ts, enum orch_log_level level, const char *msg,
                       const struct orch_log_field *fields, size_t n) {
  json_t *o = json_object();
  int rc = o ? 0 : ORCH_ENOMEM;
  if (!rc) rc = json_object_set_new(o, "ts", json_string(ts));
  if (!rc) rc = json_object_set_new(o, "level", json_string(level_names[level]));
  if (!rc) rc = json_object_set_new(o, "msg", json_stringn_nocheck(msg, strlen(msg)));
  if (!rc && ctx_request_id[0]) rc = json_object_set_new(o, "request_id", json_string(ctx_request_id));
  if (!rc && ctx_execution_id[0]) rc = json_object_set_new(o, "execution_id", json_string(ctx_execution_id));
  for (size_t i = 0; i < n && !rc; i++)
    rc = json_object_set_new(o, fields[i].key, json_string(fields[i].value ? fields[i].value : ""));
  if (!rc) rc = orch_json_dump(b, o, JSON_COMPACT | JSON_PRESERVE_ORDER);
  json_decref(o);
  return rc ? ORCH_ENOMEM : 0;
}

void orch_log_write(enum orch_log_level level, const struct orch_log_field *fields, size_t nfields,
                    const char *fmt, ...) {
  if (!orch_log_enabled(level)) return;
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  char ts[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(ts, orch_clock_now_ms(orch_clock_real()));
  struct orch_buf b = ORCH_BUF_INIT(64 * 1024);
  int rc = log_format == ORCH_LOG_JSON ? format_json(&b, ts, level, msg, fields, nfields)
                                       : format_text(&b, ts, level, msg, fields, nfields);
  FILE *out = log_out ? log_out : stderr;
  pthread_mutex_lock(&log_mu);
  if (rc) { /* the record could not be built: say so with what we have rather than drop it silently */
    char line[sizeof msg + 128];
    snprintf(line, sizeof line, "%s %s %s (log record truncated: %s)", ts, level_names[level], msg, orch_error_str(rc));
    if (log_sink) log_sink(log_sink_ctx, level, line);
    else fprintf(out, "%s\n", line);
  } else if (log_sink) {
    log_sink(log_sink_ctx, level, orch_buf_cstr(&b));
  } else {
    fprintf(out, "%s\n", orch_buf_cstr(&b));
  }
  if (!log_sink) fflush(out);
  pthread_mutex_unlock(&log_mu);
  orch_buf_free(&b);
}
