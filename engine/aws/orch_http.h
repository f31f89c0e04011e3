/* orch_http: the HTTP message types shared by the AWS pipeline (client and simulator directions):
 * a header list, a request (method, path, query, headers, body) and a response, plus the transport
 * interface (an ops table, so tests swap a fake for libcurl). Uses orch_buf. */
#ifndef ORCH_HTTP_H
#define ORCH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/orch_buf.h"
#include "core/orch_error.h"

struct orch_http_header {
  char *name;  /* as given; lookups are case-insensitive */
  char *value;
};

/* Ordered header list; owns its strings. Zero-initialised is empty and valid. */
struct orch_http_headers {
  struct orch_http_header *items;
  size_t n, cap;
};

int orch_http_headers_add(struct orch_http_headers *h, const char *name, const char *value) ORCH_MUST_CHECK;
/* Replace every header named `name` (case-insensitive) with one of `value`. */
int orch_http_headers_set(struct orch_http_headers *h, const char *name, const char *value) ORCH_MUST_CHECK;
/* First value of `name` (case-insensitive), or NULL. */
const char *orch_http_headers_get(const struct orch_http_headers *h, const char *name);
void orch_http_headers_remove(struct orch_http_headers *h, const char *name);
void orch_http_headers_free(struct orch_http_headers *h);

/* A request as it goes on the wire. `path` is already percent-encoded as sent ("/jobs/drsjob-1");
 * `query` is the encoded query string without '?' ("" when none). The Host header is set by whoever
 * knows the endpoint (the client before signing; the server from what it received). */
struct orch_http_request {
  char method[8];
  char *path;
  char *query;
  struct orch_http_headers headers;
  struct orch_buf body;
};

struct orch_http_response {
  int status;
  struct orch_http_headers headers;
  struct orch_buf body;
};

/* Set path and query from strings (copied). */
int orch_http_request_set_target(struct orch_http_request *req, const char *path, const char *query) ORCH_MUST_CHECK;
void orch_http_request_free(struct orch_http_request *req);
void orch_http_response_free(struct orch_http_response *resp);

/* The transport: sends `req` to `endpoint` ("https://drs.us-east-1.amazonaws.com" or
 * "http://127.0.0.1:4566") and fills `resp`. A transport error (DNS, connect, TLS, timeout, reset,
 * response over the size cap) is a negative ORCH_E* code with `err` saying which; any HTTP status,
 * including 5xx, is a success at this level. Running out of memory storing an answer that did arrive
 * is ORCH_ENOMEM with resp->status still set (headers and body dropped): the request was acted on. */
struct orch_http_transport_ops {
  int (*send)(void *ctx, const char *endpoint, const struct orch_http_request *req,
              struct orch_http_response *resp, struct orch_error *err);
  void (*destroy)(void *ctx);
};

struct orch_http_transport {
  const struct orch_http_transport_ops *ops;
  void *ctx;
};

#endif
