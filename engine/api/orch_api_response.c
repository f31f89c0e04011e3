/* orch_api_response: JSON responses and the error envelope. Uses CivetWeb, jansson, orch_buf, orch_log. */
#include "api/orch_api_response.h"

#include <string.h>

#include "core/orch_buf.h"
#include "core/orch_json.h"
#include "core/orch_log.h"

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
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Entity";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
  }
}

static void send_body(struct orch_api_req *req, int status, const char *body, size_t len) {
  req->status = status;
  mg_response_header_start(req->conn, status);
  mg_response_header_add(req->conn, "Content-Type", "application/json", -1);
  mg_response_header_add(req->conn, "Cache-Control", "no-store", -1);
  mg_response_header_add(req->conn, "X-Request-Id", req->request_id, -1);
  if (req->allow) mg_response_header_add(req->conn, "Allow", req->allow, -1);
  char clen[32];
  snprintf(clen, sizeof clen, "%zu", len);
  mg_response_header_add(req->conn, "Content-Length", clen, -1);
  mg_response_header_send(req->conn);
  if (strcmp(req->info->request_method, "HEAD") != 0) mg_write(req->conn, body, len);
}

void orch_api_send_json(struct orch_api_req *req, int status, const json_t *body) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  if (orch_json_dump(&b, body, JSON_COMPACT) || orch_buf_putc(&b, '\n')) {
    orch_log_error("response of %s could not be encoded (out of memory)", req->info->local_uri);
    static const char oom[] =
        "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"out of memory encoding the response\"}}\n";
    send_body(req, 503, oom, sizeof oom - 1);
  } else {
    send_body(req, status, b.data, b.len);
  }
  orch_buf_free(&b);
}

void orch_api_send_error(struct orch_api_req *req, int status, const char *code, const char *message,
                         const json_t *details) {
  json_t *err = json_pack("{s:s, s:s, s:s}", "code", code, "message", message, "request_id", req->request_id);
  if (err && details) json_object_set(err, "details", (json_t *)(uintptr_t)details);
  json_t *env = err ? json_pack("{s:o}", "error", err) : NULL;
  if (!env) {
    static const char oom[] =
        "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"out of memory building an error\"}}\n";
    send_body(req, 503, oom, sizeof oom - 1);
    return;
  }
  orch_api_send_json(req, status, env);
  json_decref(env);
}
