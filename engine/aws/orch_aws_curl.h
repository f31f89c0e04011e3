/* orch_aws_curl: the production HTTP transport (struct orch_http_transport_ops over libcurl): a pool
 * of easy handles so connections are reused across calls and threads, connect and total timeouts,
 * TLS verification always on, proxies from the environment (http_proxy, https_proxy, NO_PROXY),
 * User-Agent drsorch/<version>, a response size cap, clear errors for resets and timeouts, and the
 * AWS request id logged at debug level. Uses libcurl, orch_http, orch_log. */
#ifndef ORCH_AWS_CURL_H
#define ORCH_AWS_CURL_H

#include <stddef.h>
#include <stdint.h>

#include "aws/orch_http.h"
#include "core/orch_error.h"

#define ORCH_AWS_CURL_CONNECT_TIMEOUT_MS 10000
#define ORCH_AWS_CURL_TIMEOUT_MS 60000
#define ORCH_AWS_CURL_MAX_RESPONSE ((size_t)16 * 1024 * 1024)
#define ORCH_AWS_CURL_USER_AGENT "drsorch/" ORCH_VERSION

struct orch_aws_curl_config {
  int64_t connect_timeout_ms; /* 0 = ORCH_AWS_CURL_CONNECT_TIMEOUT_MS */
  int64_t timeout_ms;         /* whole request; 0 = ORCH_AWS_CURL_TIMEOUT_MS */
  size_t max_response_bytes;  /* body cap; 0 = ORCH_AWS_CURL_MAX_RESPONSE */
  const char *ca_file;        /* CA bundle (PEM); NULL = $CURL_CA_BUNDLE, else the system's */
  size_t max_idle_handles;    /* pooled idle connections kept; 0 = 8 */
};

/* Fill `out` with a new libcurl transport; out->ops->destroy(out->ctx) frees it. Errors from send:
 * ORCH_ETIMEDOUT (connect or total timeout), ORCH_ECONN (DNS, refused, TLS, reset or closed mid-body:
 * the message says which and how many body bytes had arrived), ORCH_ETOOBIG (body over the cap, the
 * message names the cap), ORCH_EIO (anything else, with curl's description). */
int orch_aws_curl_new(const struct orch_aws_curl_config *cfg, struct orch_http_transport *out,
                      struct orch_error *err) ORCH_MUST_CHECK;

#endif
