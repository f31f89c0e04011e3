/* orch_aws_s3: S3 bucket addressing (virtual-hosted or path style) and the test of an S3 service.
 * Uses orch_aws_model_shape (the {Bucket} label), orch_str, orch_buf. */
#include "aws/orch_aws_s3.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "aws/orch_aws_model_shape.h"
#include "core/orch_str.h"

bool orch_aws_s3_is(const struct orch_aws_service *svc) {
  const char *n = svc ? orch_aws_service_signing_name(svc) : NULL;
  return n && strcmp(n, "s3") == 0;
}

static bool ip_like(const char *s, size_t n) {
  if (n && s[0] == '[') return true; /* IPv6 literal */
  int dots = 0;
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '.') dots++;
    else if (!isdigit((unsigned char)s[i])) return false;
  }
  return dots == 3;
}

bool orch_aws_s3_virtual_hostable(const char *bucket, bool https) {
  size_t n = bucket ? strlen(bucket) : 0;
  if (n < 3 || n > 63 || !isalnum((unsigned char)bucket[0]) || !isalnum((unsigned char)bucket[n - 1])) return false;
  for (size_t i = 0; i < n; i++) {
    char ch = bucket[i];
    if (!(islower((unsigned char)ch) || isdigit((unsigned char)ch) || ch == '-' || ch == '.')) return false;
    if (ch == '.' && (https || bucket[i + 1] == '.')) return false;
  }
  return !ip_like(bucket, n);
}

int orch_aws_s3_address(const struct orch_aws_operation *op, const json_t *input, bool force_path_style,
                        struct orch_buf *url, struct orch_http_request *req, struct orch_error *err) {
  if (!orch_aws_s3_is(op->svc) || force_path_style || op->npath < 2 || op->path[0].label || op->path[0].len != 1 ||
      !op->path[1].label || strcmp(op->path[1].text, "Bucket") != 0)
    return 0;
  const char *bucket = json_string_value(json_object_get(input, "Bucket"));
  const char *u = orch_buf_cstr(url);
  const char *scheme_end = strstr(u, "://");
  if (!bucket || !scheme_end) return 0;
  const char *host = scheme_end + 3;
  size_t hlen = strcspn(host, "/");
  const char *colon = memchr(host, ':', hlen);
  if (host[0] != '[' && colon) hlen = (size_t)(colon - host) + 0;
  if (ip_like(host, host[0] == '[' ? strcspn(host, "]") + 1 : hlen)) return 0;
  if (!orch_aws_s3_virtual_hostable(bucket, strncmp(u, "https", 5) == 0)) return 0;
  /* The path is "/<bucket>" followed by "/key..." or nothing. */
  size_t blen = strlen(bucket);
  if (strncmp(req->path, "/", 1) != 0 || strncmp(req->path + 1, bucket, blen) != 0 ||
      (req->path[1 + blen] != '\0' && req->path[1 + blen] != '/'))
    return 0;
  struct orch_buf nu = ORCH_BUF_INIT(0), np = ORCH_BUF_INIT(0);
  int rc = orch_buf_printf(&nu, "%.*s%s.%s", (int)(host - u), u, bucket, host);
  if (!rc) rc = orch_buf_puts(&np, req->path[1 + blen] ? req->path + 1 + blen : "/");
  if (!rc) rc = orch_http_request_set_target(req, orch_buf_cstr(&np), req->query ? req->query : "");
  if (!rc) {
    orch_buf_reset(url);
    rc = orch_buf_puts(url, orch_buf_cstr(&nu));
  }
  orch_buf_free(&nu);
  orch_buf_free(&np);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}
