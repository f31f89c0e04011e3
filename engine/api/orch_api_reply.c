/* orch_api_reply: writing answers into a response: JSON bodies, the one error envelope
 * {"error": {"code", "message", "details"?, "request_id"}}, the mapping of engine error codes to HTTP
 * statuses, extra headers, pages, timestamps. Uses orch_api_int, orch_buf, orch_json, orch_time, orch_log. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/orch_api_int.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_time.h"

#define RESPONSE_MAX ((size_t)64 * 1024 * 1024) /* a body the API builds (a report, a page of events) */
#define HEADERS_MAX ((size_t)16 * 1024)

void orch_api_response_init(struct orch_api_response *r) {
  memset(r, 0, sizeof *r);
  orch_buf_init(&r->headers, HEADERS_MAX);
  orch_buf_init(&r->body, RESPONSE_MAX);
  r->content_type = "application/json";
}

void orch_api_response_release(struct orch_api_response *r) {
  if (!r) return;
  orch_buf_free(&r->headers);
  orch_buf_free(&r->body);
  orch_api_stream_free(r->stream);
  r->stream = NULL;
}

bool orch_api_response_header(const struct orch_api_response *r, const char *name, char *out, size_t n) {
  const char *p = r->headers.len ? r->headers.data : "";
  size_t nl = strlen(name);
  while (*p) {
    const char *eol = strstr(p, "\r\n");
    if (!eol) break;
    if ((size_t)(eol - p) > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      const char *v = p + nl + 1;
      while (*v == ' ') v++;
      snprintf(out, n, "%.*s", (int)(eol - v), v);
      return true;
    }
    p = eol + 2;
  }
  return false;
}

const char *orch_api_status_text(int status) {
  switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 412: return "Precondition Failed";
    case 413: return "Payload Too Large";
    case 414: return "URI Too Long";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

json_t *api_time(int64_t ms) {
  if (!ms) return json_null();
  char buf[ORCH_TIME_ISO_MAX];
  orch_time_iso8601(buf, ms);
  return json_string(buf);
}

void api_header(struct api_call *c, const char *name, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (orch_buf_printf(&c->resp->headers, "%s: ", name) || orch_buf_vprintf(&c->resp->headers, fmt, ap) ||
      orch_buf_puts(&c->resp->headers, "\r\n"))
    orch_log_warn("api: header %s dropped (too long)", name);
  va_end(ap);
}

/* The body when even the envelope cannot be built. */
static void out_of_memory(struct api_call *c) {
  static const char oom[] = "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"out of memory\",\"request_id\":\"\"}}\n";
  orch_buf_reset(&c->resp->body);
  c->resp->status = 503;
  c->resp->content_type = "application/json";
  if (orch_buf_append(&c->resp->body, oom, sizeof oom - 1)) c->resp->body.len = 0;
}

int api_json(struct api_call *c, int status, json_t *body) {
  orch_buf_reset(&c->resp->body);
  c->resp->content_type = "application/json";
  if (!body || orch_json_dump(&c->resp->body, body, JSON_COMPACT) || orch_buf_putc(&c->resp->body, '\n')) {
    orch_log_error("api: the answer to %s %s could not be encoded", c->req->method, c->path);
    out_of_memory(c);
  } else {
    c->resp->status = status;
  }
  json_decref(body);
  return 0;
}

int api_error(struct api_call *c, int status, const char *code, json_t *details, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  json_t *e = json_pack("{s:s, s:s, s:s}", "code", code, "message", msg, "request_id", c->resp->request_id);
  if (e && details) json_object_set(e, "details", details);
  json_decref(details);
  return api_json(c, status, e ? json_pack("{s:o}", "error", e) : NULL);
}

int api_page(struct api_call *c, json_t *items, const char *next_cursor) {
  if (!items) return api_json(c, 200, NULL);
  return api_json(c, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor",
                                    next_cursor && *next_cursor ? json_string(next_cursor) : json_null()));
}

int api_fail(struct api_call *c, int rc, const struct orch_error *err) {
  const char *msg = err && err->message[0] ? err->message : orch_error_str(rc);
  json_t *details = err && err->context[0] ? json_pack("{s:s}", "field", err->context) : NULL;
  bool version = err && (strcmp(err->context, "expected_version") == 0 || strcmp(err->context, "expected_latest") == 0);
  switch (rc) {
    case ORCH_ENOTFOUND: return api_error(c, 404, "NotFound", details, "%s", msg);
    case ORCH_EEXIST: return api_error(c, 409, "AlreadyExists", details, "%s", msg);
    case ORCH_ECONFLICT:
      return version ? api_error(c, 412, "PreconditionFailed", details, "%s", msg)
                     : api_error(c, 409, "Conflict", details, "%s", msg);
    case ORCH_ESTATE: return api_error(c, 409, "InvalidState", details, "%s", msg);
    case ORCH_EPERM: return api_error(c, 403, "Forbidden", details, "%s", msg);
    case ORCH_EAUTH: return api_error(c, 401, "Unauthorized", details, "%s", msg);
    case ORCH_ETOOBIG: return api_error(c, 413, "PayloadTooLarge", details, "%s", msg);
    case ORCH_EINVAL:
    case ORCH_ETYPE:
    case ORCH_EUNKNOWNKEY:
    case ORCH_EVALIDATION:
    case ORCH_ERANGE:
    case ORCH_EPARSE: return api_error(c, 422, "ValidationError", details, "%s", msg);
    case ORCH_EAWS:
    case ORCH_ECONN:
    case ORCH_ECREDS:
    case ORCH_EQUOTA: return api_error(c, 502, "UpstreamError", details, "%s", msg);
    default:
      orch_log_error("api: %s %s failed: %s (%s)", c->req->method, c->path, msg, orch_error_name(rc));
      return api_error(c, 503, "ServiceUnavailable", details, "%s", msg);
  }
}
