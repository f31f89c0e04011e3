/* orch_buf: the one growable, size-capped byte buffer with a sticky error, used for every string the
 * engine builds (requests, canonical strings, log lines, reports). Modeled on curl's dynbuf.
 * Uses orch_alloc and orch_error. */
#ifndef ORCH_BUF_H
#define ORCH_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "core/orch_error.h"

#define ORCH_BUF_DEFAULT_MAX ((size_t)64 * 1024 * 1024)

/* Always NUL-terminated once anything was appended; `data` may be NULL while empty.
 * After the first failure (`err` != 0) every append is a no-op returning the same error, so a builder
 * may append many pieces and check once at the end. The buffer owns `data`; orch_buf_free releases it. */
struct orch_buf {
  char *data;
  size_t len;
  size_t cap;
  size_t max; /* hard cap on len; 0 means ORCH_BUF_DEFAULT_MAX */
  int err;    /* sticky: ORCH_ENOMEM or ORCH_ETOOBIG */
};

#define ORCH_BUF_INIT(maxbytes) {NULL, 0, 0, (maxbytes), 0}

void orch_buf_init(struct orch_buf *b, size_t max);
void orch_buf_free(struct orch_buf *b);
/* Empties the buffer and clears the sticky error; keeps the allocation. */
void orch_buf_reset(struct orch_buf *b);

int orch_buf_append(struct orch_buf *b, const void *p, size_t n) ORCH_MUST_CHECK;
int orch_buf_puts(struct orch_buf *b, const char *s) ORCH_MUST_CHECK;
int orch_buf_putc(struct orch_buf *b, char c) ORCH_MUST_CHECK;
int orch_buf_printf(struct orch_buf *b, const char *fmt, ...) ORCH_PRINTF(2, 3) ORCH_MUST_CHECK;
int orch_buf_vprintf(struct orch_buf *b, const char *fmt, va_list ap) ORCH_PRINTF(2, 0) ORCH_MUST_CHECK;
/* Ensure room for `n` more bytes without changing len. */
int orch_buf_reserve(struct orch_buf *b, size_t n) ORCH_MUST_CHECK;
/* Drop the last `n` bytes (or all). */
void orch_buf_truncate(struct orch_buf *b, size_t len);

/* Contents as a C string: "" when empty. Valid until the next mutation. */
const char *orch_buf_cstr(const struct orch_buf *b);
/* Hand the allocation to the caller (caller frees with orch_free) and reset the buffer.
 * Returns NULL on a sticky error; an empty buffer yields an allocated "". */
char *orch_buf_take(struct orch_buf *b, size_t *len_out);

#endif
