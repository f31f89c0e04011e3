/* orch_error: the engine's one table of error codes and messages, and the error record every fallible
 * function fills. Uses nothing but libc. */
#ifndef ORCH_ERROR_H
#define ORCH_ERROR_H

#include <stddef.h>

#define ORCH_MUST_CHECK __attribute__((warn_unused_result))
#define ORCH_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))

/* X(NAME, value, "message"): codes are negative so a function returns 0 or -ORCH_E... */
#define ORCH_ERRNO_MAP(X)                                                        \
  X(ENOMEM, 1, "out of memory")                                                 \
  X(EINVAL, 2, "invalid argument")                                              \
  X(ETOOBIG, 3, "size limit exceeded")                                          \
  X(EPARSE, 4, "malformed input")                                               \
  X(ETYPE, 5, "wrong type")                                                     \
  X(ENOTFOUND, 6, "not found")                                                  \
  X(EEXIST, 7, "already exists")                                                \
  X(EIO, 8, "input/output error")                                               \
  X(ECONFIG, 9, "configuration error")                                          \
  X(ERANGE, 10, "value out of range")                                           \
  X(EUNKNOWNKEY, 11, "unknown key")                                             \
  X(EADDRINUSE, 12, "address in use")                                           \
  X(EPERM, 13, "permission denied")                                             \
  X(ETIMEDOUT, 14, "timed out")                                                 \
  X(ECONN, 15, "connection failed")                                             \
  X(EAWS, 16, "AWS service error")                                              \
  X(EAUTH, 17, "authentication failed")                                         \
  X(ESIGNATURE, 18, "signature does not match")                                 \
  X(ECREDS, 19, "no usable credentials")                                        \
  X(ELUA, 20, "plan script error")                                              \
  X(ELIMIT, 21, "sandbox limit reached")                                        \
  X(EVALIDATION, 22, "validation failed")                                       \
  X(ENONDETERMINISM, 23, "hook replay diverged from its journal")              \
  X(ESTORE, 24, "store error")                                                  \
  X(ECONFLICT, 25, "conflicting state")                                         \
  X(ESTATE, 26, "operation not allowed in this state")                          \
  X(EQUOTA, 27, "quota exceeded")                                               \
  X(ECANCELLED, 28, "cancelled")                                                \
  X(EUNSUPPORTED, 29, "not supported")                                          \
  X(EINTERNAL, 30, "internal error")

enum orch_errno {
  ORCH_OK = 0,
#define ORCH__ERR_ENUM(name, val, msg) ORCH_##name = -(val),
  ORCH_ERRNO_MAP(ORCH__ERR_ENUM)
#undef ORCH__ERR_ENUM
};

#define ORCH_ERROR_MESSAGE_MAX 512
#define ORCH_ERROR_CONTEXT_MAX 256

/* The error record. `context` names where (a file:line, a JSON path, a setting); `message` says what.
 * Callers own it, usually on the stack; functions take an optional pointer (NULL = don't care). */
struct orch_error {
  int code;
  char message[ORCH_ERROR_MESSAGE_MAX];
  char context[ORCH_ERROR_CONTEXT_MAX];
};

/* Symbolic name ("ENOMEM") and the table's message for a code; "unknown error" for codes not in it. */
const char *orch_error_name(int code);
const char *orch_error_str(int code);

/* Fill `err` (if non-NULL) and return `code`, so a failure path reads `return orch_error_set(...)`. */
int orch_error_set(struct orch_error *err, int code, const char *fmt, ...) ORCH_PRINTF(3, 4);
/* As orch_error_set, with a context string (path, file:line). */
int orch_error_setc(struct orch_error *err, int code, const char *context, const char *fmt, ...)
    ORCH_PRINTF(4, 5);
/* Prefix the existing message with "prefix: " (keeps code and context). */
void orch_error_prefix(struct orch_error *err, const char *fmt, ...) ORCH_PRINTF(2, 3);
void orch_error_clear(struct orch_error *err);
/* One line for humans: "context: message" or "message". Returns `out`. */
const char *orch_error_format(const struct orch_error *err, char *out, size_t outsz);

#endif
