/* orch_api_query: reading what a request carries: headers, decoded query parameters, pages, times,
 * path ids and If-Match versions; a malformed one is answered with 400 saying which and why.
 * Uses orch_api_int, orch_store_valid, orch_str, orch_time. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/orch_api_int.h"
#include "core/orch_str.h"
#include "core/orch_time.h"
#include "store/orch_store_valid.h"

const char *api_req_header(const struct orch_api_request *req, const char *name) {
  for (size_t i = 0; i < req->nheaders; i++)
    if (req->headers[i].name && strcasecmp(req->headers[i].name, name) == 0) return req->headers[i].value;
  return NULL;
}

const char *api_query(const struct api_call *c, const char *name) {
  for (size_t i = 0; i < c->nquery; i++)
    if (strcmp(c->query[i].name, name) == 0) return c->query[i].value;
  return NULL;
}

int api_query_page(struct api_call *c, struct orch_store_page *page) {
  memset(page, 0, sizeof *page);
  const char *limit = api_query(c, "limit");
  long long v = 0;
  if (limit && orch_str_to_ll(limit, 1, ORCH_STORE_PAGE_MAX, &v))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "limit"),
                     "limit must be a whole number from 1 to %d, not '%.40s'", ORCH_STORE_PAGE_MAX, limit),
           -1;
  page->limit = (size_t)v;
  page->cursor = api_query(c, "cursor");
  return 0;
}

int api_query_time(struct api_call *c, const char *name, int64_t *ms) {
  const char *v = api_query(c, name);
  *ms = 0;
  if (!v) return 0;
  if (orch_time_parse_iso8601(v, ms) || *ms <= 0)
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", name),
                     "%s must be an ISO-8601 time such as 2026-01-31T12:00:00Z, not '%.60s'", name, v),
           -1;
  return 0;
}

int api_param_id(struct api_call *c, size_t i, const char *what, const char **out) {
  const char *id = i < c->nparams ? c->params[i] : "";
  if (orch_store_valid_id(id, what, NULL))
    return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", what),
                     "'%.60s' is not a %s (a lower-case UUID)", id, what),
           -1;
  *out = id;
  return 0;
}

int api_if_match(struct api_call *c, int64_t *version) {
  const char *v = api_req_header(c->req, "If-Match");
  *version = 0;
  if (!v) return 0;
  char tag[32];
  const char *p = v;
  if (strncmp(p, "W/", 2) == 0) p += 2;
  size_t n = strlen(p);
  if (n >= 2 && p[0] == '"' && p[n - 1] == '"') {
    p++;
    n -= 2;
  }
  long long x;
  if (n == 0 || n >= sizeof tag) goto bad;
  memcpy(tag, p, n);
  tag[n] = '\0';
  if (orch_str_to_ll(tag, 1, INT64_MAX, &x)) goto bad;
  *version = x;
  return 0;
bad:
  return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", "If-Match"),
                   "If-Match must be the version the ETag gave (\"3\"), not '%.40s'", v),
         -1;
}
