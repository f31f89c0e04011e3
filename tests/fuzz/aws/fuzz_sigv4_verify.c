/* fuzz_sigv4_verify: the SigV4 verifier's request parsing (Authorization header, X-Amz-* query
 * parameters, credential scope, signed-header list, dates) on hostile requests. Input: an HTTP/1.1
 * request as text ("METHOD TARGET HTTP/1.1", "Name:value" lines, blank line, body), the form of the
 * official suite's signed requests, which seed the corpus so signature checking is reached too.
 * Uses orch_sigv4. */
#include <stdint.h>
#include <string.h>

#include "aws/orch_sigv4.h"
#include "core/orch_alloc.h"

static int lookup(void *ctx, const char *akid, struct orch_buf *secret, struct orch_buf *token) {
  (void)ctx;
  (void)token;
  if (strcmp(akid, "AKIDEXAMPLE") != 0) return ORCH_ENOTFOUND;
  return orch_buf_puts(secret, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
}

static const char *line_end(const char *p, const char *end) {
  const char *nl = memchr(p, '\n', (size_t)(end - p));
  return nl ? nl : end;
}

static int parse(const char *p, const char *end, struct orch_http_request *req) {
  const char *e = line_end(p, end);
  const char *sp = memchr(p, ' ', (size_t)(e - p));
  if (!sp || (size_t)(sp - p) >= sizeof req->method) return -1;
  memcpy(req->method, p, (size_t)(sp - p));
  req->method[sp - p] = '\0';
  const char *tend = e;
  if (tend - sp > 9 && memcmp(tend - 9, " HTTP/1.1", 9) == 0) tend -= 9;
  char *target = orch_strndup(sp + 1, (size_t)(tend - sp - 1));
  if (!target) return -1;
  char *q = strchr(target, '?');
  if (q) *q++ = '\0';
  int rc = orch_http_request_set_target(req, target, q ? q : "");
  orch_free(target);
  if (rc) return -1;
  p = e < end ? e + 1 : end;
  while (p < end && *p != '\n') {
    e = line_end(p, end);
    const char *colon = memchr(p, ':', (size_t)(e - p));
    if (colon) {
      char *name = orch_strndup(p, (size_t)(colon - p)), *value = orch_strndup(colon + 1, (size_t)(e - colon - 1));
      rc = name && value ? orch_http_headers_add(&req->headers, name, value) : -1;
      orch_free(name);
      orch_free(value);
      if (rc) return -1;
    }
    p = e < end ? e + 1 : end;
  }
  if (p < end) p++;
  if (p < end && orch_buf_append(&req->body, p, (size_t)(end - p))) return -1;
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  /* Headers and paths are C strings in orch_http: cut at the first NUL as a server would reject it. */
  const char *p = (const char *)data, *nul = memchr(p, '\0', size);
  const char *end = nul ? nul : p + size;
  struct orch_http_request req = {0};
  if (parse(p, end, &req) == 0) {
    struct orch_sigv4_verify_params vp = {.lookup = lookup, .now_ms = 1440938160000LL /* 2015-08-30T12:36:00Z */};
    struct orch_sigv4_verified v;
    struct orch_error err;
    int rc = orch_sigv4_verify(&req, &vp, &v, &err);
    /* Whatever the input, the answer is one of the documented codes. */
    if (rc && rc != ORCH_EAUTH && rc != ORCH_ECREDS && rc != ORCH_ESIGNATURE && rc != ORCH_ERANGE) __builtin_trap();
    vp.no_normalize = true;
    rc = orch_sigv4_verify(&req, &vp, &v, &err);
    if (rc && rc != ORCH_EAUTH && rc != ORCH_ECREDS && rc != ORCH_ESIGNATURE && rc != ORCH_ERANGE) __builtin_trap();
  }
  orch_http_request_free(&req);
  return 0;
}
