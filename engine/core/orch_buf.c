/* orch_buf: growable, size-capped buffer with a sticky error. Uses orch_alloc. */
#include "core/orch_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/orch_alloc.h"

static size_t buf_max(const struct orch_buf *b) { return b->max ? b->max : ORCH_BUF_DEFAULT_MAX; }

void orch_buf_init(struct orch_buf *b, size_t max) {
  b->data = NULL;
  b->len = b->cap = 0;
  b->max = max;
  b->err = 0;
}

void orch_buf_free(struct orch_buf *b) {
  if (!b) return;
  orch_free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
  b->err = 0;
}

void orch_buf_reset(struct orch_buf *b) {
  b->len = 0;
  b->err = 0;
  if (b->data) b->data[0] = '\0';
}

int orch_buf_reserve(struct orch_buf *b, size_t n) {
  if (b->err) return b->err;
  size_t max = buf_max(b);
  if (n > max || b->len > max - n) return b->err = ORCH_ETOOBIG;
  size_t need = b->len + n + 1; /* room for the terminator */
  if (need <= b->cap) return 0;
  size_t cap = b->cap ? b->cap : 64;
  while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > max + 1) cap = max + 1;
  char *p = orch_realloc(b->data, cap);
  if (!p) return b->err = ORCH_ENOMEM;
  b->data = p;
  b->cap = cap;
  b->data[b->len] = '\0'; /* a reserved buffer is a valid (possibly empty) string */
  return 0;
}

int orch_buf_append(struct orch_buf *b, const void *p, size_t n) {
  int rc = orch_buf_reserve(b, n);
  if (rc) return rc;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int orch_buf_puts(struct orch_buf *b, const char *s) { return orch_buf_append(b, s, strlen(s)); }

int orch_buf_putc(struct orch_buf *b, char c) { return orch_buf_append(b, &c, 1); }

int orch_buf_vprintf(struct orch_buf *b, const char *fmt, va_list ap) {
  if (b->err) return b->err;
  char small[256];
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(small, sizeof small, fmt, ap2);
  va_end(ap2);
  if (n < 0) return b->err = ORCH_EINVAL;
  if ((size_t)n < sizeof small) return orch_buf_append(b, small, (size_t)n);
  int rc = orch_buf_reserve(b, (size_t)n);
  if (rc) return rc;
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  return 0;
}

int orch_buf_printf(struct orch_buf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int rc = orch_buf_vprintf(b, fmt, ap);
  va_end(ap);
  return rc;
}

void orch_buf_truncate(struct orch_buf *b, size_t len) {
  if (len < b->len) {
    b->len = len;
    b->data[len] = '\0';
  }
}

const char *orch_buf_cstr(const struct orch_buf *b) { return b->data ? b->data : ""; }

char *orch_buf_take(struct orch_buf *b, size_t *len_out) {
  if (b->err) return NULL;
  if (!b->data && orch_buf_reserve(b, 0)) return NULL;
  if (!b->len) b->data[0] = '\0';
  char *p = b->data;
  if (len_out) *len_out = b->len;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}
