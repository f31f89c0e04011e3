/* orch_aws_creds_http: credentials from the metadata services over plain HTTP: the ECS/EKS container
 * endpoint and EC2 IMDSv2. Both use an injected transport (short timeouts in production), so tests
 * point them at a loopback server. Uses orch_http, orch_aws_creds_from_json, jansson. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_creds_int.h"
#include "aws/orch_aws_endpoint.h"
#include "core/orch_alloc.h"
#include "core/orch_json.h"
#include "core/orch_str.h"

#define IMDS_TOKEN_TTL "21600"
#define METADATA_MAX_BODY (64 * 1024)

struct http_ctx {
  struct creds_opts opts;
  struct creds_transport tr;
};

static void http_destroy(void *ctx) {
  struct http_ctx *h = ctx;
  if (!h) return;
  creds_transport_release(&h->tr);
  creds_opts_free(&h->opts);
  orch_free(h);
}

static int http_new(const struct orch_aws_creds_options *o, const struct orch_aws_creds_ops *ops,
                    struct orch_aws_creds **out, struct orch_error *err) {
  struct http_ctx *h = orch_calloc(1, sizeof *h);
  if (!h) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = creds_opts_copy(&h->opts, o, false, err);
  if (rc) {
    orch_free(h);
    return rc;
  }
  if ((rc = creds_transport_hold(&h->tr, h->opts.o.metadata_transport, true, err))) {
    http_destroy(h);
    return rc;
  }
  rc = orch_aws_creds_new(ops, h, orch_aws_creds_cache_clock(&h->opts.o), out);
  return rc ? orch_error_set(err, rc, "out of memory") : 0;
}

/* One request; the response body (status in *status) into `resp`. */
static int get(struct http_ctx *h, const char *method, const char *base, const char *path,
               const struct orch_http_headers *extra, struct orch_http_response *resp, struct orch_error *err) {
  struct orch_http_request req = {0};
  struct orch_buf host = ORCH_BUF_INIT(512);
  snprintf(req.method, sizeof req.method, "%s", method);
  const char *q = strchr(path, '?');
  char *p = q ? orch_strndup(path, (size_t)(q - path)) : orch_strdup(path);
  int rc = p ? orch_http_request_set_target(&req, p, q ? q + 1 : "") : ORCH_ENOMEM;
  orch_free(p);
  if (!rc) rc = orch_aws_endpoint_host(base, &host);
  if (!rc) rc = orch_http_headers_add(&req.headers, "Host", orch_buf_cstr(&host));
  for (size_t i = 0; extra && i < extra->n && !rc; i++)
    rc = orch_http_headers_add(&req.headers, extra->items[i].name, extra->items[i].value);
  if (rc) {
    rc = orch_error_set(err, rc, "out of memory");
  } else {
    rc = h->tr.t.ops->send(h->tr.t.ctx, base, &req, resp, err);
    if (!rc && resp->body.len > METADATA_MAX_BODY)
      rc = orch_error_set(err, ORCH_ETOOBIG, "metadata response larger than %d bytes", METADATA_MAX_BODY);
  }
  orch_buf_free(&host);
  orch_http_request_free(&req);
  return rc;
}

static int parse_creds(const struct orch_http_response *resp, const char *what, struct orch_aws_credentials *out,
                       struct orch_error *err) {
  struct orch_error perr = {0};
  json_t *j = orch_json_parse(resp->body.data ? resp->body.data : "", resp->body.len, 8, &perr);
  if (!j) return orch_error_set(err, ORCH_ECREDS, "%s returned malformed JSON: %s", what, perr.message);
  int rc = orch_aws_creds_from_json(j, what, out, err);
  json_decref(j);
  return rc;
}

/* ---- ECS / EKS container endpoint ---- */

/* A full URI may use plain http only to the container agents' link-local addresses or loopback. */
static bool ecs_http_host_allowed(const char *host) {
  static const char *const ok[] = {"169.254.170.2", "169.254.170.23", "[fd00:ec2::23]", "localhost", "[::1]", NULL};
  char h[256];
  size_t n = strcspn(host, "]:");
  if (host[0] == '[') n = strcspn(host, "]") + 1;
  if (n >= sizeof h) return false;
  memcpy(h, host, n);
  h[n] = '\0';
  for (size_t i = 0; ok[i]; i++)
    if (strcmp(h, ok[i]) == 0) return true;
  return strncmp(h, "127.", 4) == 0;
}

static int ecs_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct http_ctx *h = ctx;
  const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  struct orch_buf base = ORCH_BUF_INIT(2048), token = ORCH_BUF_INIT(16384);
  struct orch_http_headers hdrs = {0};
  struct orch_http_response resp = {0};
  char *path = NULL;
  int rc = 0;
  if (rel && *rel) {
    if (rel[0] != '/') {
      rc = orch_error_set(err, ORCH_ECREDS, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with '/'");
      goto out;
    }
    rc = orch_buf_printf(&base, "http://%s", h->opts.o.ecs_host ? h->opts.o.ecs_host : ORCH_AWS_ECS_HOST);
    path = orch_strdup(rel);
  } else if (full && *full) {
    bool https = orch_str_starts_with(full, "https://");
    if (!https && !orch_str_starts_with(full, "http://")) {
      rc = orch_error_set(err, ORCH_ECREDS, "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an http(s) URL");
      goto out;
    }
    const char *host = full + (https ? 8 : 7);
    if (!https && !ecs_http_host_allowed(host)) {
      rc = orch_error_set(err, ORCH_ECREDS,
                          "AWS_CONTAINER_CREDENTIALS_FULL_URI may use http only to a loopback or container-agent "
                          "address, not %.100s", full);
      goto out;
    }
    size_t hl = strcspn(host, "/?");
    rc = orch_buf_append(&base, full, (size_t)(host - full) + hl);
    path = orch_strdup(host[hl] ? host + hl : "/");
  } else {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "no AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI");
    goto out;
  }
  if (rc || !path) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  const char *tfile = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const char *tenv = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  if (tfile && *tfile) rc = creds_read_token_file(tfile, "container authorization token file", &token, err);
  else if (tenv && *tenv) rc = orch_buf_puts(&token, tenv) ? orch_error_set(err, ORCH_ECREDS, "token too long") : 0;
  if (rc) goto out;
  if (token.len) {
    if (strpbrk(orch_buf_cstr(&token), "\r\n")) {
      rc = orch_error_set(err, ORCH_ECREDS, "the container authorization token contains a line break");
      goto out;
    }
    if ((rc = orch_http_headers_add(&hdrs, "Authorization", orch_buf_cstr(&token)))) {
      rc = orch_error_set(err, rc, "out of memory");
      goto out;
    }
  }
  for (int attempt = 0; attempt < 2; attempt++) {
    rc = get(h, "GET", orch_buf_cstr(&base), path, &hdrs, &resp, err);
    if (rc != ORCH_ECONN && rc != ORCH_ETIMEDOUT) break;
  }
  if (rc) {
    orch_error_prefix(err, "container credentials endpoint");
    if (rc != ORCH_ENOMEM) rc = ORCH_ECREDS;
    if (err) err->code = rc;
    goto out;
  }
  if (resp.status != 200) {
    rc = orch_error_set(err, ORCH_ECREDS, "container credentials endpoint %s%s returned HTTP %d: %.200s",
                        orch_buf_cstr(&base), path, resp.status, orch_buf_cstr(&resp.body));
    goto out;
  }
  rc = parse_creds(&resp, "ECS container endpoint", out, err);
out:
  orch_free(path);
  if (token.data) memset(token.data, 0, token.len);
  orch_buf_free(&token);
  orch_buf_free(&base);
  orch_http_headers_free(&hdrs);
  orch_http_response_free(&resp);
  return rc;
}

static const struct orch_aws_creds_ops ecs_ops = {.name = "ecs-container", .fetch = ecs_fetch, .destroy = http_destroy};

int orch_aws_creds_ecs(const struct orch_aws_creds_options *o, struct orch_aws_creds **out, struct orch_error *err) {
  return http_new(o, &ecs_ops, out, err);
}

/* ---- EC2 instance metadata (IMDSv2) ---- */

static int imds_fetch(void *ctx, struct orch_aws_credentials *out, struct orch_error *err) {
  struct http_ctx *h = ctx;
  const char *disabled = getenv("AWS_EC2_METADATA_DISABLED");
  if (disabled && orch_str_iequal(disabled, "true"))
    return orch_error_set(err, ORCH_ENOTFOUND, "AWS_EC2_METADATA_DISABLED is true");
  const char *endpoint = h->opts.o.imds_endpoint;
  if (!endpoint || !*endpoint) endpoint = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
  if (!endpoint || !*endpoint) {
    const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
    endpoint = mode && orch_str_iequal(mode, "IPv6") ? ORCH_AWS_IMDS_ENDPOINT_IPV6 : ORCH_AWS_IMDS_ENDPOINT;
  }
  struct orch_buf base = ORCH_BUF_INIT(1024), path = ORCH_BUF_INIT(1024);
  struct orch_http_headers hdrs = {0};
  struct orch_http_response resp = {0};
  struct orch_error terr = {0};
  char role[256];
  int rc = orch_buf_puts(&base, endpoint);
  while (!rc && base.len > 8 && base.data[base.len - 1] == '/') orch_buf_truncate(&base, base.len - 1);
  if (!rc) rc = orch_http_headers_add(&hdrs, "X-aws-ec2-metadata-token-ttl-seconds", IMDS_TOKEN_TTL);
  if (rc) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  rc = get(h, "PUT", orch_buf_cstr(&base), "/latest/api/token", &hdrs, &resp, &terr);
  orch_http_headers_free(&hdrs);
  if (rc == ORCH_ENOMEM) {
    rc = orch_error_set(err, rc, "out of memory");
    goto out;
  }
  if (rc) {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "no instance metadata service at %s (%s)", orch_buf_cstr(&base), terr.message);
    goto out;
  }
  if (resp.status == 200) {
    if ((rc = orch_http_headers_add(&hdrs, "X-aws-ec2-metadata-token", orch_buf_cstr(&resp.body)))) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      goto out;
    }
  } else if (resp.status != 404 && resp.status != 405) { /* those two: an IMDSv1-only service */
    rc = orch_error_set(err, ORCH_ENOTFOUND, "instance metadata service at %s refused a session token (HTTP %d)",
                        orch_buf_cstr(&base), resp.status);
    goto out;
  }
  rc = get(h, "GET", orch_buf_cstr(&base), "/latest/meta-data/iam/security-credentials/", &hdrs, &resp, err);
  if (rc) goto transport_failed;
  if (resp.status == 404) {
    rc = orch_error_set(err, ORCH_ENOTFOUND, "the instance has no IAM role (instance profile)");
    goto out;
  }
  if (resp.status != 200) goto bad_status;
  struct orch_strview first = orch_str_trim((struct orch_strview){orch_buf_cstr(&resp.body), strcspn(orch_buf_cstr(&resp.body), "\n")});
  if (first.n == 0 || first.n >= sizeof role || memchr(first.p, '/', first.n) || memchr(first.p, '?', first.n)) {
    rc = orch_error_set(err, ORCH_ECREDS, "instance metadata returned an unusable role name");
    goto out;
  }
  memcpy(role, first.p, first.n);
  role[first.n] = '\0';
  if ((rc = orch_buf_printf(&path, "/latest/meta-data/iam/security-credentials/%s", role))) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto out;
  }
  rc = get(h, "GET", orch_buf_cstr(&base), orch_buf_cstr(&path), &hdrs, &resp, err);
  if (rc) goto transport_failed;
  if (resp.status != 200) goto bad_status;
  rc = parse_creds(&resp, "EC2 instance metadata", out, err);
  goto out;
transport_failed:
  orch_error_prefix(err, "instance metadata service");
  if (rc != ORCH_ENOMEM) rc = ORCH_ECREDS;
  if (err) err->code = rc;
  goto out;
bad_status:
  rc = orch_error_set(err, ORCH_ECREDS, "instance metadata service returned HTTP %d", resp.status);
out:
  orch_http_headers_free(&hdrs);
  orch_http_response_free(&resp);
  orch_buf_free(&base);
  orch_buf_free(&path);
  return rc;
}

static const struct orch_aws_creds_ops imds_ops = {.name = "ec2-instance-metadata", .fetch = imds_fetch,
                                                   .destroy = http_destroy};

int orch_aws_creds_imds(const struct orch_aws_creds_options *o, struct orch_aws_creds **out, struct orch_error *err) {
  return http_new(o, &imds_ops, out, err);
}
