/* orch_error: the code table and the helpers that fill an error record. Uses libc only. */
#include "core/orch_error.h"
#include "core/orch_str.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct err_entry {
  int code;
  const char *name;
  const char *msg;
};

static const struct err_entry err_table[] = {
  {ORCH_OK, "OK", "success"},
#define ORCH__ERR_ROW(name, val, msg) {-(val), #name, msg},
  ORCH_ERRNO_MAP(ORCH__ERR_ROW)
#undef ORCH__ERR_ROW
};

static const struct err_entry *err_lookup(int code) {
  for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
    if (err_table[i].code == code) return &err_table[i];
  return NULL;
}

const char *orch_error_name(int code) {
  const struct err_entry *e = err_lookup(code);
  return e ? e->name : "EUNKNOWN";
}

const char *orch_error_str(int code) {
  const struct err_entry *e = err_lookup(code);
  return e ? e->msg : "unknown error";
}

static void err_vfill(struct orch_error *err, int code, const char *context, const char *fmt,
                      va_list ap) {
  err->code = code;
  if (fmt && *fmt)
    vsnprintf(err->message, sizeof err->message, fmt, ap);
  else
    snprintf(err->message, sizeof err->message, "%s", orch_error_str(code));
  snprintf(err->context, sizeof err->context, "%s", context ? context : "");
}

int orch_error_set(struct orch_error *err, int code, const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  err_vfill(err, code, NULL, fmt, ap);
  va_end(ap);
  return code;
}

int orch_error_setc(struct orch_error *err, int code, const char *context, const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  err_vfill(err, code, context, fmt, ap);
  va_end(ap);
  return code;
}

void orch_error_prefix(struct orch_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[ORCH_ERROR_MESSAGE_MAX];
  char old[ORCH_ERROR_MESSAGE_MAX];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, err->message, sizeof old);
  orch_str_fmt(err->message, sizeof err->message, "%s: %s", prefix, old);
}

void orch_error_clear(struct orch_error *err) {
  if (!err) return;
  err->code = 0;
  err->message[0] = '\0';
  err->context[0] = '\0';
}

const char *orch_error_format(const struct orch_error *err, char *out, size_t outsz) {
  if (!outsz) return out;
  if (!err) {
    out[0] = '\0';
  } else if (err->context[0]) {
    snprintf(out, outsz, "%s: %s", err->context, err->message[0] ? err->message : orch_error_str(err->code));
  } else {
    snprintf(out, outsz, "%s", err->message[0] ? err->message : orch_error_str(err->code));
  }
  return out;
}
