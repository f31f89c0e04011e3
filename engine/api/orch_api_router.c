/* orch_api_router: orch_api_handle, one request from start to answer: request id, target decoding, CORS,
 * matching against the route table (404, 405 with Allow), rate limits, authentication, RBAC, CSRF, query
 * and body validation against the route's schemas, the handler, security headers, metrics and the access
 * log. Every check is here, once, for every route. Uses orch_api_int, orch_api_auth, orch_api_schema,
 * orch_api_ratelimit, orch_api_metrics, orch_str, orch_json, orch_log. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/orch_api_auth.h"
#include "api/orch_api_metrics.h"
#include "api/orch_api_ratelimit.h"
#include "api/orch_api_schema.h"
#include "core/orch_alloc.h"
#include "core/orch_id.h"
#include "core/orch_json.h"
#include "core/orch_log.h"
#include "core/orch_str.h"

#define BODY_DEPTH_MAX 32
#define ALLOW_MAX 96

/* ---- Target ---------------------------------------------------------------------------------- */

static int hexval(char ch) {
  if (ch >= '0' && ch <= '9') return ch - '0';
  if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
  if (ch >= 'A' && ch <= 'F') return ch - 'A' + 10;
  return -1;
}

/* Percent-decode [s, s+n) into out (cap bytes with the NUL). plus: '+' is a space. -1 when malformed
 * (a bad escape, %00, a control character) or too long. */
static long decode(const char *s, size_t n, char *out, size_t cap, bool plus) {
  size_t o = 0;
  for (size_t i = 0; i < n; i++) {
    int ch = (unsigned char)s[i];
    if (ch == '%') {
      if (i + 2 >= n) return -1;
      int hi = hexval(s[i + 1]), lo = hexval(s[i + 2]);
      if (hi < 0 || lo < 0) return -1;
      ch = hi * 16 + lo;
      i += 2;
    } else if (plus && ch == '+') {
      ch = ' ';
    }
    if (ch < 0x20 || ch == 0x7f || o + 1 >= cap) return -1;
    out[o++] = (char)ch;
  }
  out[o] = '\0';
  return (long)o;
}

/* Split the target into the decoded path (segment by segment: a decoded '/' or a "." / ".." segment is
 * refused) and the query. */
static int parse_target(struct api_call *c) {
  const char *t = c->req->target ? c->req->target : "";
  if (t[0] != '/')
    return api_error(c, 400, "BadRequest", NULL, "the request target must be an absolute path"), -1;
  const char *q = strchr(t, '?');
  size_t plen = q ? (size_t)(q - t) : strlen(t);
  if (plen >= API_PATH_MAX) return api_error(c, 414, "BadRequest", NULL, "the path is longer than %d bytes", API_PATH_MAX - 1), -1;
  size_t o = 0;
  for (size_t i = 0; i < plen;) {
    size_t j = i + 1;
    while (j < plen && t[j] != '/') j++;
    char seg[API_PATH_MAX];
    long n = decode(t + i + 1, j - i - 1, seg, sizeof seg, false);
    if (n < 0 || strchr(seg, '/') || strcmp(seg, ".") == 0 || strcmp(seg, "..") == 0)
      return api_error(c, 400, "BadRequest", NULL, "the path has a malformed segment '%.*s'", (int)(j - i - 1), t + i + 1), -1;
    c->path[o++] = '/';
    memcpy(c->path + o, seg, (size_t)n);
    o += (size_t)n;
    i = j;
  }
  c->path[o] = '\0';
  if (!q || !q[1]) return 0;
  size_t used = 0;
  for (const char *p = q + 1; *p;) {
    const char *amp = strchr(p, '&');
    size_t len = amp ? (size_t)(amp - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    size_t nl = eq ? (size_t)(eq - p) : len;
    if (len) {
      if (c->nquery == API_QUERY_MAX)
        return api_error(c, 400, "BadRequest", NULL, "more than %d query parameters", API_QUERY_MAX), -1;
      char *name = c->query_pool + used;
      long a = decode(p, nl, name, sizeof c->query_pool - used, true);
      if (a <= 0) return api_error(c, 400, "BadRequest", NULL, "malformed query parameter '%.*s'", (int)nl, p), -1;
      used += (size_t)a + 1;
      char *value = c->query_pool + used;
      long b = decode(eq ? eq + 1 : p + len, eq ? len - nl - 1 : 0, value, sizeof c->query_pool - used, true);
      if (b < 0) return api_error(c, 400, "BadRequest", NULL, "malformed value of query parameter '%s'", name), -1;
      used += (size_t)b + 1;
      c->query[c->nquery].name = name;
      c->query[c->nquery++].value = value;
    }
    p = amp ? amp + 1 : p + len;
  }
  return 0;
}

/* ---- Matching -------------------------------------------------------------------------------- */

/* Match the decoded path against a pattern, capturing {x} segments; returns the number of literal
 * segments (its specificity) or -1. */
static size_t seg_len(const char *s) {
  size_t n = 0;
  while (s[n] && s[n] != '/') n++;
  return n;
}

static int route_match(const char *pattern, const char *path, struct api_call *c) {
  size_t n = 0;
  int literal = 0;
  const char *p = pattern, *u = path;
  while (*p && *u) {
    if (*p != '/' || *u != '/') return -1;
    p++, u++;
    size_t pl = seg_len(p), ul = seg_len(u);
    if (p[0] == '{') {
      if (!ul || n >= API_PARAMS_MAX || ul >= API_PARAM_MAX) return -1;
      memcpy(c->params[n], u, ul);
      c->params[n++][ul] = '\0';
    } else if (pl != ul || memcmp(p, u, pl) != 0) {
      return -1;
    } else {
      literal++;
    }
    p += pl, u += ul;
  }
  if (*p || *u) return -1;
  c->nparams = n;
  return literal;
}

/* Each route's first segment after /api/v1/ (NULL: the pattern is elsewhere, or that segment is a
 * parameter), so a path is matched in full only against the routes of its resource. */
#define API_PREFIX "/api/v1/"
static struct {
  const char *seg;
  size_t len;
} first_seg[API_ROUTES_MAX];
static pthread_once_t first_once = PTHREAD_ONCE_INIT;

static void first_init(void) {
  size_t n;
  const struct api_route *routes = orch_api_routes(&n);
  for (size_t i = 0; i < n && i < API_ROUTES_MAX; i++) {
    const char *p = routes[i].pattern;
    if (strncmp(p, API_PREFIX, sizeof API_PREFIX - 1) != 0 || p[sizeof API_PREFIX - 1] == '{') continue;
    first_seg[i].seg = p + sizeof API_PREFIX - 1;
    first_seg[i].len = seg_len(first_seg[i].seg);
  }
}

/* The route for the path and method; NULL with *allow (the methods the path takes) when only the
 * method is wrong, NULL with allow "" when no route has the path. */
static const struct api_route *find_route(struct api_call *c, char *allow, size_t allow_n, long *index) {
  size_t n, used = 0;
  const struct api_route *routes = orch_api_routes(&n), *hit = NULL;
  int best = -1, score[API_ROUTES_MAX];
  pthread_once(&first_once, first_init);
  const char *seg = strncmp(c->path, API_PREFIX, sizeof API_PREFIX - 1) == 0 ? c->path + sizeof API_PREFIX - 1 : NULL;
  size_t seglen = seg ? seg_len(seg) : 0;
  allow[0] = '\0';
  for (size_t i = 0; i < n && i < API_ROUTES_MAX; i++) { /* the most literal pattern wins ("/plans/validate" over "/plans/{id}") */
    bool other = seg && first_seg[i].seg && (first_seg[i].len != seglen || memcmp(first_seg[i].seg, seg, seglen) != 0);
    score[i] = other ? -1 : route_match(routes[i].pattern, c->path, c);
    if (score[i] > best) best = score[i];
  }
  for (size_t i = 0; best >= 0 && i < n && i < API_ROUTES_MAX; i++) {
    if (score[i] != best) continue;
    if (strcmp(routes[i].method, c->req->method) == 0 && !hit) {
      hit = &routes[i];
      *index = (long)i;
    }
    int w = snprintf(allow + used, allow_n - used, "%s%s", used ? ", " : "", routes[i].method);
    if (w > 0 && (size_t)w < allow_n - used) used += (size_t)w;
  }
  if (hit) route_match(hit->pattern, c->path, c); /* its captures */
  return hit;
}

/* ---- Cross-origin requests and headers every answer carries ------------------------------------ */

static bool origin_allowed(const struct orch_api *api, const char *origin) {
  const char *list = api->lim.cors_origins;
  size_t ol = strlen(origin);
  for (const char *p = list; *p;) {
    while (*p == ' ' || *p == ',') p++;
    const char *end = strchr(p, ',');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    while (len && p[len - 1] == ' ') len--;
    if (len && len == ol && memcmp(p, origin, len) == 0) return true;
    if (!end) break;
    p = end + 1;
  }
  return false;
}

static void common_headers(struct api_call *c) {
  static const char fixed[] = "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n"
                              "Content-Security-Policy: default-src 'none'; frame-ancestors 'none'\r\n"
                              "Referrer-Policy: no-referrer\r\nX-Request-Id: ";
  struct orch_buf *h = &c->resp->headers;
  if (orch_buf_append(h, fixed, sizeof fixed - 1) || orch_buf_puts(h, c->resp->request_id) || orch_buf_puts(h, "\r\n"))
    orch_log_warn("api: the common headers were cut short (out of memory)");
  if (c->api->lim.hsts) api_header(c, "Strict-Transport-Security", "max-age=31536000");
  if (c->origin) {
    api_header(c, "Access-Control-Allow-Origin", "%s", c->origin);
    api_header(c, "Access-Control-Expose-Headers", "ETag, Location, Retry-After, X-Request-Id");
    api_header(c, "Vary", "Origin");
  }
}

/* OPTIONS: a CORS preflight (or a plain question about the methods). */
static int preflight(struct api_call *c) {
  char allow[ALLOW_MAX];
  long ignored;
  find_route(c, allow, sizeof allow, &ignored);
  if (!allow[0]) return api_error(c, 404, "NotFound", NULL, "no such resource: %s", c->path);
  const char *origin = api_req_header(c->req, "Origin");
  if (origin && !c->origin)
    return api_error(c, 403, "Forbidden", json_pack("{s:s}", "origin", origin),
                     "origin %.100s may not call this API (server.cors_origins)", origin);
  api_header(c, "Allow", "%s, OPTIONS", allow);
  if (c->origin) {
    api_header(c, "Access-Control-Allow-Methods", "%s", allow);
    api_header(c, "Access-Control-Allow-Headers", "Authorization, Content-Type, If-Match, X-CSRF-Token, Last-Event-ID");
    api_header(c, "Access-Control-Max-Age", "600");
  }
  c->resp->status = 204;
  return 0;
}

/* ---- Checks before the handler ----------------------------------------------------------------- */

static int check_rate(struct api_call *c, const char *key, long rate, const char *what) {
  int64_t retry = 0;
  if (orch_api_ratelimit_take(c->api->rl, key, rate, &retry)) return 0;
  api_header(c, "Retry-After", "%lld", (long long)retry);
  return api_error(c, 429, "TooManyRequests", json_pack("{s:I}", "retry_after_s", (json_int_t)retry),
                   "too many requests from this %s: at most %ld per second; retry in %llds", what, rate,
                   (long long)retry),
         -1;
}

static int check_access(struct api_call *c) {
  const struct api_route *r = c->route;
  struct orch_error err = {0};
  int rc = orch_api_auth_identify(c->api->auth, c->req, &c->who, &err);
  if (rc == ORCH_EAUTH && r->perm == ORCH_PERM_PUBLIC) {
    /* credentials that no longer work (a session ended, a token revoked) do not stand between a caller and
     * what needs none: signing in again, health, the document */
    memset(&c->who, 0, sizeof c->who);
    return 0;
  }
  if (rc == ORCH_EAUTH) {
    api_header(c, "WWW-Authenticate", "Bearer realm=\"drsorch\"");
    return api_error(c, 401, "Unauthorized", NULL, "%s", err.message), -1;
  }
  if (rc) return api_fail(c, rc, &err), -1;
  if (r->perm == ORCH_PERM_PUBLIC && c->who.kind == API_ANONYMOUS) return 0;
  if (c->who.kind == API_ANONYMOUS) {
    api_header(c, "WWW-Authenticate", "Bearer realm=\"drsorch\"");
    return api_error(c, 401, "Unauthorized", NULL,
                     "credentials needed: Authorization: Bearer <API token or Cognito JWT>, or a console session"),
           -1;
  }
  char key[ORCH_STORE_ACTOR_MAX + 8];
  snprintf(key, sizeof key, "who:%s", c->who.name);
  if (r->perm != ORCH_PERM_PUBLIC &&
      check_rate(c, key, orch_config_int(c->api->cfg.settings, "server.token_rate_limit"), "credential"))
    return -1;
  if (!orch_api_roles_allow(c->who.roles, r->perm)) {
    char have[64], need[64];
    orch_api_roles_format(c->who.roles, have, sizeof have);
    orch_api_roles_format(orch_api_perm_roles(r->perm), need, sizeof need);
    if (!c->who.roles && c->who.kind == API_JWT) /* signed in to the pool, but no group of it is a role here */
      return api_error(c, 403, "Forbidden", json_pack("{s:s, s:s}", "permission", orch_api_perm_name(r->perm), "roles", need),
                       "%s has no role: none of its Cognito groups (%s) is mapped to a role by auth.cognito_groups; "
                       "%s %s needs one of %s",
                       c->who.name, c->who.groups[0] ? c->who.groups : "none", r->method, r->pattern, need),
             -1;
    return api_error(c, 403, "Forbidden", json_pack("{s:s, s:s}", "permission", orch_api_perm_name(r->perm), "roles", need),
                     "%s may not %s %s: it needs %s (one of %s); %s has %s", c->who.name, r->method, r->pattern,
                     orch_api_perm_name(r->perm), need, c->who.name, have[0] ? have : "no role"),
           -1;
  }
  if (!orch_api_auth_csrf_ok(&c->who, c->req))
    return api_error(c, 403, "CsrfRequired", NULL,
                     "a change made with a session cookie needs the session's X-CSRF-Token header"),
           -1;
  return 0;
}

static const struct api_param *find_param(const struct api_route *r, const char *name, size_t *index) {
  for (size_t i = 0; r->query && r->query[i].name; i++)
    if (strcmp(r->query[i].name, name) == 0) return *index = i, &r->query[i];
  return NULL;
}

static int check_query(struct api_call *c) {
  for (size_t i = 0; i < c->nquery; i++) {
    size_t pi = 0;
    const struct api_param *p = find_param(c->route, c->query[i].name, &pi);
    if (!p) {
      const char *names[API_QUERY_MAX + 1];
      size_t n = 0;
      for (; c->route->query && c->route->query[n].name && n < API_QUERY_MAX; n++) names[n] = c->route->query[n].name;
      names[n] = NULL;
      const char *near = orch_str_nearest(c->query[i].name, names);
      return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", c->query[i].name),
                       "unknown query parameter '%.60s'%s%s%s", c->query[i].name, near ? "; did you mean '" : "",
                       near ? near : "", near ? "'?" : (n ? "" : " (this operation takes none)")),
             -1;
    }
    for (size_t k = 0; k < i; k++)
      if (strcmp(c->query[k].name, c->query[i].name) == 0 && strcmp(p->name, "tag") != 0)
        return api_error(c, 400, "BadRequest", NULL, "query parameter '%s' is given twice", p->name), -1;
    const json_t *schema = orch_api_route_param_schema(c->api, c->route, pi);
    json_t *v = orch_api_schema_coerce(schema, c->query[i].value), *problems = NULL;
    char path[80];
    snprintf(path, sizeof path, "query.%s", p->name);
    if (!v) {
      return api_error(c, 400, "BadRequest", json_pack("{s:s}", "field", p->name), "query parameter %s must be %s, not '%.60s'",
                       p->name, json_string_value(json_object_get(schema, "type")), c->query[i].value),
             -1;
    }
    size_t bad = orch_api_schema_check(c->api->schemas, NULL, schema, v, path, &problems);
    json_decref(v);
    if (bad) {
      const char *msg = json_string_value(json_object_get(json_array_get(problems, 0), "message"));
      return api_error(c, 400, "BadRequest", json_pack("{s:o}", "problems", problems), "query parameter %s %s", p->name,
                       msg ? msg : "is not valid"),
             -1;
    }
  }
  return 0;
}

static bool json_media(const char *ct) {
  if (!ct) return false;
  while (*ct == ' ') ct++;
  size_t n = strcspn(ct, "; ");
  return n == strlen("application/json") && strncasecmp(ct, "application/json", n) == 0;
}

static int check_body(struct api_call *c) {
  const struct api_route *r = c->route;
  const struct orch_api_request *req = c->req;
  if (!(r->flags & API_F_BODY)) {
    if (req->body_len) return api_error(c, 400, "BadRequest", NULL, "%s %s takes no body", r->method, r->pattern), -1;
    return 0;
  }
  if (req->body_len > c->api->lim.max_body)
    return api_error(c, 413, "PayloadTooLarge", NULL, "the body is %zu bytes; the limit is %zu (server.max_body)",
                     req->body_len, c->api->lim.max_body),
           -1;
  if (!req->body_len) {
    if (r->flags & API_F_BODY_OPT) return 0;
    return api_error(c, 400, "BadRequest", NULL, "%s %s needs a JSON body (%s)", r->method, r->pattern, r->body_schema), -1;
  }
  const char *ct = api_req_header(req, "Content-Type");
  if (!json_media(ct))
    return api_error(c, 415, "UnsupportedMediaType", NULL, "the body must be application/json, not %.80s",
                     ct ? ct : "a body without Content-Type"),
           -1;
  struct orch_error err = {0};
  c->body = orch_json_parse(req->body, req->body_len, BODY_DEPTH_MAX, &err);
  if (!c->body)
    return api_error(c, 400, "InvalidJson", NULL, "the body is not valid JSON: %s%s", err.message,
                     err.code == ORCH_ETOOBIG ? " (at most 32 levels)" : ""),
           -1;
  json_t *problems = NULL;
  if (orch_api_schema_check(c->api->schemas, r->body_schema, NULL, c->body, "body", &problems)) {
    const json_t *first = json_array_get(problems, 0);
    return api_error(c, 422, "ValidationError", json_pack("{s:o}", "problems", problems), "%s: %s",
                     json_string_value(json_object_get(first, "path")),
                     json_string_value(json_object_get(first, "message"))),
           -1;
  }
  return 0;
}

/* ---- The request ----------------------------------------------------------------------------- */

static void access_log(const struct api_call *c, int64_t ns) {
  if (!orch_log_enabled(ORCH_LOG_DEBUG)) return;
  char status[8], ms[32];
  snprintf(status, sizeof status, "%d", c->resp->status);
  snprintf(ms, sizeof ms, "%.3f", (double)ns / 1e6);
  struct orch_log_field f[] = {{"method", c->req->method}, {"path", c->path}, {"status", status}, {"ms", ms},
                               {"actor", c->who.name[0] ? c->who.name : "-"}};
  orch_log_write(ORCH_LOG_DEBUG, f, sizeof f / sizeof f[0], "request");
}

static void route_request(struct api_call *c, long *index) {
  if (parse_target(c)) return;
  const char *origin = api_req_header(c->req, "Origin");
  if (origin && origin_allowed(c->api, origin)) c->origin = origin;
  if (strcmp(c->req->method, "OPTIONS") == 0) {
    preflight(c);
    return;
  }
  char allow[ALLOW_MAX];
  c->route = find_route(c, allow, sizeof allow, index);
  if (!c->route && allow[0]) {
    api_header(c, "Allow", "%s", allow);
    api_error(c, 405, "MethodNotAllowed", json_pack("{s:s}", "allow", allow), "%.16s is not allowed on %s (allowed: %s)",
              c->req->method, c->path, allow);
    return;
  }
  if (!c->route) {
    api_error(c, 404, "NotFound", NULL, "no such resource: %s", c->path);
    return;
  }
  char key[ORCH_STORE_ADDRESS_MAX + 8];
  snprintf(key, sizeof key, "ip:%s", c->req->remote_addr ? c->req->remote_addr : "");
  if (!(c->route->flags & API_F_UNLIMITED) &&
      check_rate(c, key, orch_config_int(c->api->cfg.settings, "server.rate_limit"), "address"))
    return;
  if (check_access(c) || check_query(c) || check_body(c)) return;
  c->route->handler(c);
}

/* A UUIDv7 for the request: its random bits from a per-thread xorshift seeded once from orch_id_random. A
 * request id needs to be unique, not secret, and a system call per request cost more than routing. */
static void request_id(char out[ORCH_ID_UUID_LEN + 1], int64_t ms) {
  static _Thread_local uint64_t s[2];
  if (!s[0] && !s[1] && (orch_id_random(s, sizeof s) || (!s[0] && !s[1])))
    s[0] = (uint64_t)ms ^ (uint64_t)(uintptr_t)&s, s[1] = 0x9e3779b97f4a7c15ULL;
  uint64_t r[2];
  for (int i = 0; i < 2; i++) { /* xorshift128+ */
    uint64_t x = s[0], y = s[1];
    s[0] = y;
    x ^= x << 23;
    s[1] = x ^ y ^ (x >> 17) ^ (y >> 26);
    r[i] = s[1] + y;
  }
  uint64_t hi = ((uint64_t)ms << 16) | 0x7000 | (r[0] & 0x0fff), lo = (r[1] & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  snprintf(out, ORCH_ID_UUID_LEN + 1, "%08llx-%04llx-%04llx-%04llx-%012llx", (unsigned long long)(hi >> 32),
           (unsigned long long)((hi >> 16) & 0xffff), (unsigned long long)(hi & 0xffff),
           (unsigned long long)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

void orch_api_handle(struct orch_api *api, const struct orch_api_request *req, struct orch_api_response *resp) {
  struct api_call *c = orch_calloc(1, sizeof *c);
  int64_t t0 = orch_clock_mono_ns(api->clock);
  request_id(resp->request_id, orch_clock_now_ms(api->clock));
  if (!c) {
    static const char oom[] = "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"out of memory\"}}\n";
    resp->status = 503;
    if (orch_buf_append(&resp->body, oom, sizeof oom - 1)) resp->body.len = 0;
    return;
  }
  c->api = api;
  c->req = req;
  c->resp = resp;
  orch_log_context_set(resp->request_id, NULL);
  long index = -1;
  route_request(c, &index);
  if (!resp->status) api_error(c, 503, "ServiceUnavailable", NULL, "the handler gave no answer");
  common_headers(c);
  int64_t ns = orch_clock_mono_ns(api->clock) - t0;
  orch_api_metrics_observe(api->metrics, index, resp->status, ns);
  access_log(c, ns);
  orch_log_context_set(NULL, NULL);
  json_decref(c->body);
  orch_free(c);
}
