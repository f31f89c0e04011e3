/* test_api_robustness: a table of malformed requests sent as raw bytes to the real server (CivetWeb in this
 * process, so ASan watches every byte of it): bad JSON, wrong types, unknown fields, huge and deep bodies,
 * bad ids, path tricks, header abuse, wrong content types, stale versions, protocol abuse and trickled
 * requests. Each gets the status it deserves in the error envelope (or, for what is not HTTP at all, a
 * closed connection), never a 5xx; the server answers normally afterwards. Uses api_harness,
 * orch_api_server, POSIX sockets. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include "api/orch_api_server.h"
#include "api_harness.h"

static struct api_h h;
static struct orch_api_server *srv;
static char group_id[64], plan_id[64];

#define ANY4XX 0 /* any 4xx (CivetWeb's own answers vary by case) */
#define CLOSED -1 /* no answer, the connection closed: acceptable only for what is not HTTP */

struct rcase {
  const char *name;
  const char *raw; /* "{AUTH}" is the admin's Authorization header, "{GROUP}" / "{PLAN}" real ids, "{LEN}" the body's
                    * length, "{NUL}" a NUL byte */
  int want;        /* a status, ANY4XX, or CLOSED */
  bool closed_ok;  /* CLOSED is also acceptable */
};

#define JSONPOST(path, body) "POST " path " HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n" body
#define GROUPBODY(name, account, sel) "{\"name\": " name ", \"account\": " account ", \"region\": \"us-east-1\", \"selector\": " sel "}"

static const struct rcase cases[] = {
  /* protocol */
  {"not HTTP", "GARBAGE\r\n\r\n", 400, false},
  {"no version", "GET /api/v1/health\r\n\r\n", 400, false},
  {"unknown HTTP version", "GET /api/v1/health HTTP/9.9\r\nHost: t\r\n\r\n", 400, false},
  {"unknown method", "FOO /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n", 400, false},
  {"TRACE", "TRACE /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n", 400, false},
  {"CONNECT", "CONNECT example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n", 400, false},
  {"absolute-form target", "GET http://127.0.0.1/api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n", ANY4XX, true},
  {"asterisk target", "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n", ANY4XX, true},
  {"header without colon", "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nFoo\r\n\r\n", 400, false},
  {"non-ASCII header name", "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-\xc3\xa9: 1\r\n\r\n", 400, false},
  {"NUL in the target", "GET /api/v1/hea{NUL}lth HTTP/1.1\r\nHost: t\r\n\r\n", 400, false},
  {"negative Content-Length", "POST /api/v1/plans HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400, false},
  {"Content-Length not a number", "POST /api/v1/plans HTTP/1.1\r\nHost: t\r\nContent-Length: abc\r\n\r\n", 400, false},
  {"Content-Length beyond the limit", "POST /api/v1/plans HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n", 413, false},
  {"bad chunk size", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n", ANY4XX, true},
  /* outside /api/ is the console's files (orch_api_static): nothing else of the file system */
  {"outside /api/, a file", "GET /etc/passwd.txt HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"outside /api/, up", "GET /../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"outside /api/, encoded up", "GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"outside /api/, a POST", "POST /index.html HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n", 405, false},
  /* path tricks */
  {"dot-dot", "GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: t\r\n\r\n", ANY4XX, false},
  {"encoded dot-dot", "GET /api/v1/%2e%2e/health HTTP/1.1\r\nHost: t\r\n\r\n", ANY4XX, false},
  {"encoded slash in an id", "GET /api/v1/plans/a%2Fb HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", ANY4XX, false},
  {"double slash", "GET /api/v1//health HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"trailing slash", "GET /api/v1/health/ HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"backslash", "GET /api/v1\\health HTTP/1.1\r\nHost: t\r\n\r\n", ANY4XX, false},
  {"bad escape", "GET /api/v1/plans/%zz HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"escaped NUL", "GET /api/v1/plans/%00 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", ANY4XX, false},
  {"double-encoded segment", "GET /api/v1/h%2565alth HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"unknown resource", "GET /api/v1/nothing HTTP/1.1\r\nHost: t\r\n\r\n", 404, false},
  {"wrong method", "PATCH /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n", 405, false},
  /* bad ids */
  {"id not a UUID", "GET /api/v1/executions/123 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"upper-case UUID", "GET /api/v1/plans/01890000-0000-7000-8000-00000000000A HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"unknown id", "GET /api/v1/plans/01890000-0000-7000-8000-000000000000 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 404, false},
  {"version not a number", "GET /api/v1/plans/{PLAN}/versions/one HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"version zero", "GET /api/v1/plans/{PLAN}/versions/0 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"account id too short", "GET /api/v1/accounts/1234 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  /* header abuse */
  {"no credentials", "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\n\r\n", 401, false},
  {"empty bearer", "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer \r\n\r\n", 401, false},
  {"Basic credentials", "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\nAuthorization: Basic YTpi\r\n\r\n", 401, false},
  {"forged session cookie", "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\nCookie: drsorch_session=x; other=y\r\n\r\n", 401, false},
  /* only the Lambda adapter hands the router an authorizer's verified claims: no header can */
  {"API Gateway's claims as headers", "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\nrequestContext: {\"authorizer\": {\"claims\": "
   "{\"username\": \"x\", \"cognito:groups\": \"Admin\"}}}\r\nX-Amzn-Oidc-Data: e30\r\ncognito:groups: Admin\r\n\r\n", 401, false},
  {"CSRF header without a session", "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\nX-CSRF-Token: abc\r\n\r\n", 401, false},
  {"garbage If-Match", "PUT /api/v1/protection-groups/{GROUP} HTTP/1.1\r\nHost: t\r\n{AUTH}If-Match: \"soon\"\r\nContent-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n" GROUPBODY("\"orders-db\"", "\"111122223333\"", "{\"tags\": {\"Tier\": \"db\"}}"), 400, false},
  {"stale If-Match", "PUT /api/v1/protection-groups/{GROUP} HTTP/1.1\r\nHost: t\r\n{AUTH}If-Match: \"7\"\r\nContent-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n" GROUPBODY("\"orders-db\"", "\"111122223333\"", "{\"tags\": {\"Tier\": \"db\"}}"), 412, false},
  {"garbage Last-Event-ID", "GET /api/v1/executions/01890000-0000-7000-8000-000000000000/events HTTP/1.1\r\nHost: t\r\n{AUTH}Accept: text/event-stream\r\nLast-Event-ID: -x\r\n\r\n", 400, false},
  {"unknown query parameter", "GET /api/v1/plans?sort=name HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"repeated query parameter", "GET /api/v1/plans?limit=1&limit=2 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"query value of the wrong type", "GET /api/v1/plans?limit=many HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"malformed cursor", "GET /api/v1/drs/source-servers?cursor=-4 HTTP/1.1\r\nHost: t\r\n{AUTH}\r\n", 400, false},
  {"foreign origin preflight", "OPTIONS /api/v1/plans HTTP/1.1\r\nHost: t\r\nOrigin: https://evil.example\r\n\r\n", 403, false},
  /* content types */
  {"text/plain body", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: text/plain\r\nContent-Length: {LEN}\r\n\r\n{\"source\": \"x\"}", 415, false},
  {"no Content-Type with a body", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Length: {LEN}\r\n\r\n{\"source\": \"x\"}", 415, false},
  {"application/xml", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: application/xml\r\nContent-Length: {LEN}\r\n\r\n<source/>", 415, false},
  {"json-patch media type", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: application/json-patch+json\r\nContent-Length: {LEN}\r\n\r\n[]", 415, false},
  {"multipart", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: multipart/form-data; boundary=x\r\nContent-Length: {LEN}\r\n\r\n--x--", 415, false},
  {"a body where none is taken", "DELETE /api/v1/tokens/01890000-0000-7000-8000-000000000000 HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n{}", 400, false},
  {"no body where one is needed", "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\n{AUTH}Content-Length: 0\r\n\r\n", 400, false},
  /* bad JSON */
  {"truncated object", JSONPOST("/api/v1/plans/validate", "{\"source\": "), 400, false},
  {"missing value", JSONPOST("/api/v1/plans/validate", "{\"source\":}"), 400, false},
  {"truncated array", JSONPOST("/api/v1/plans/validate", "[1, 2"), 400, false},
  {"bare word", JSONPOST("/api/v1/plans/validate", "nul"), 400, false},
  {"lone surrogate", JSONPOST("/api/v1/plans/validate", "{\"source\": \"\\ud800\"}"), 400, false},
  {"invalid UTF-8", JSONPOST("/api/v1/plans/validate", "{\"source\": \"\xff\xfe\"}"), 400, false},
  {"trailing garbage", JSONPOST("/api/v1/plans/validate", "{} {}"), 400, false},
  {"number overflow", JSONPOST("/api/v1/executions", "{\"plan\": \"x\", \"mode\": \"drill\", \"version\": 1e99999}"), 400, false},
  {"byte-order mark", JSONPOST("/api/v1/plans/validate", "\xef\xbb\xbf{\"source\": \"x\"}"), 400, false},
  {"NUL inside a string", JSONPOST("/api/v1/plans/validate", "{\"source\": \"a\\u0000b\"}"), ANY4XX, false},
  /* wrong types and unknown fields */
  {"name is a number", JSONPOST("/api/v1/protection-groups", GROUPBODY("12", "\"111122223333\"", "{\"tags\": {\"A\": \"b\"}}")), 422, false},
  {"account is a number", JSONPOST("/api/v1/protection-groups", GROUPBODY("\"g\"", "111122223333", "{\"tags\": {\"A\": \"b\"}}")), 422, false},
  {"selector is a string", JSONPOST("/api/v1/protection-groups", GROUPBODY("\"g\"", "\"111122223333\"", "\"tags\"")), 422, false},
  {"selector with both kinds", JSONPOST("/api/v1/protection-groups", GROUPBODY("\"g\"", "\"111122223333\"", "{\"tags\": {\"A\": \"b\"}, \"server_ids\": [\"s-00000000000000001\"]}")), 422, false},
  {"server id malformed", JSONPOST("/api/v1/protection-groups", GROUPBODY("\"g\"", "\"111122223333\"", "{\"server_ids\": [\"i-123\"]}")), 422, false},
  {"tag value not a string", JSONPOST("/api/v1/protection-groups", GROUPBODY("\"g\"", "\"111122223333\"", "{\"tags\": {\"A\": 1}}")), 422, false},
  {"unknown field", JSONPOST("/api/v1/protection-groups", "{\"name\": \"g\", \"acount\": \"111122223333\", \"region\": \"us-east-1\", \"selector\": {\"tags\": {\"A\": \"b\"}}}"), 422, false},
  {"array instead of object", JSONPOST("/api/v1/executions", "[\"plan\", \"drill\"]"), 422, false},
  {"mode not known", JSONPOST("/api/v1/executions", "{\"plan\": \"x\", \"mode\": \"drl\"}"), 422, false},
  {"version negative", JSONPOST("/api/v1/executions", "{\"plan\": \"x\", \"mode\": \"drill\", \"version\": -3}"), 422, false},
  {"command field unknown", JSONPOST("/api/v1/executions/01890000-0000-7000-8000-000000000000/pause", "{\"wait\": true}"), 422, false},
  {"role not known", JSONPOST("/api/v1/tokens", "{\"name\": \"t\", \"role\": \"root\"}"), 422, false},
  {"expiry not a duration", JSONPOST("/api/v1/tokens", "{\"name\": \"t\", \"role\": \"Viewer\", \"expires_in\": \"soon\"}"), 422, false},
  {"password too short", JSONPOST("/api/v1/users", "{\"name\": \"u\", \"role\": \"Viewer\", \"password\": \"x\"}"), 422, false},
  {"empty plan source", JSONPOST("/api/v1/plans", "{\"source\": \"\"}"), 422, false},
  {"plan that does not compile", JSONPOST("/api/v1/plans", "{\"source\": \"return plan {\"}"), 422, false},
  {"plan that loops forever", JSONPOST("/api/v1/plans/validate", "{\"source\": \"while true do end\"}"), 200, false},
  {"account role in another account", JSONPOST("/api/v1/accounts", "{\"account_id\": \"444455556666\", \"role_arn\": \"arn:aws:iam::111122223333:role/R\"}"), 422, false},
  {"login wrong types", "POST /api/v1/sessions HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: {LEN}\r\n\r\n{\"username\": [], \"password\": {}}", 422, false},
  /* conflicts */
  {"duplicate group", JSONPOST("/api/v1/protection-groups", GROUPBODY("\"orders-db\"", "\"111122223333\"", "{\"tags\": {\"A\": \"b\"}}")), 409, false},
  {"command on an unknown execution", JSONPOST("/api/v1/executions/01890000-0000-7000-8000-000000000000/cancel", "{}"), 404, false},
};

/* ---- Sending ---------------------------------------------------------------------------------- */

static int connect_server(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)orch_api_server_port(srv))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

/* Read an answer (headers and Content-Length body) within `ms`; the status, or CLOSED. */
static int read_answer(int fd, char *out, size_t n, int ms) {
  size_t got = 0;
  out[0] = '\0';
  while (got + 1 < n) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, ms) <= 0) break;
    ssize_t k = recv(fd, out + got, n - 1 - got, 0);
    if (k <= 0) break;
    got += (size_t)k;
    out[got] = '\0';
    char *end = strstr(out, "\r\n\r\n");
    const char *cl = strstr(out, "Content-Length: ");
    if (end && cl && (size_t)(end + 4 - out) + (size_t)strtoul(cl + 16, NULL, 10) <= got) break;
  }
  int status = CLOSED;
  if (sscanf(out, "HTTP/1.1 %d", &status) != 1) status = CLOSED;
  return status;
}

/* memmem: the raw request may hold a NUL. */
static const char *lb_find(const char *hay, size_t n, const char *needle) {
  size_t m = strlen(needle);
  for (size_t i = 0; i + m <= n; i++)
    if (memcmp(hay + i, needle, m) == 0) return hay + i;
  return NULL;
}

static void expand(const char *raw, size_t rawlen, struct orch_buf *out) {
  struct orch_buf t = ORCH_BUF_INIT(0);
  char auth[128];
  snprintf(auth, sizeof auth, "Authorization: Bearer %s\r\n", h.admin);
  static const char *const names[] = {"{AUTH}", "{GROUP}", "{PLAN}", "{NUL}"};
  const char *values[] = {auth, group_id, plan_id, ""};
  for (size_t i = 0; i < rawlen;) {
    size_t k = 0;
    while (k < 4 && strncmp(raw + i, names[k], strlen(names[k])) != 0) k++;
    int rc = k == 3 ? orch_buf_putc(&t, '\0') : k < 4 ? orch_buf_puts(&t, values[k]) : orch_buf_putc(&t, raw[i]);
    cr_assert_eq(rc, 0);
    i += k < 4 ? strlen(names[k]) : 1;
  }
  const char *len = lb_find(t.data, t.len, "{LEN}");
  const char *body = lb_find(t.data, t.len, "\r\n\r\n");
  if (len) {
    size_t before = (size_t)(len - t.data);
    size_t blen = t.len - (size_t)(body - t.data) - 4;
    cr_assert_eq(orch_buf_append(out, t.data, before), 0);
    cr_assert_eq(orch_buf_printf(out, "%zu", blen), 0);
    cr_assert_eq(orch_buf_append(out, len + 5, t.len - before - 5), 0);
  } else {
    cr_assert_eq(orch_buf_append(out, t.data, t.len), 0);
  }
  orch_buf_free(&t);
}

static int send_raw(const char *data, size_t len, char *answer, size_t n) {
  int fd = connect_server();
  size_t off = 0;
  while (off < len) {
    ssize_t k = send(fd, data + off, len - off, MSG_NOSIGNAL);
    if (k <= 0) break;
    off += (size_t)k;
  }
  int status = read_answer(fd, answer, n, 10000);
  close(fd);
  return status;
}

/* The answer is ours: a status CivetWeb or the router gave, and, for an error, the envelope. */
static void check_answer(const char *name, int status, const char *answer, int want, bool closed_ok) {
  cr_expect(status < 500, "%s: %d is a server error for bad input", name, status);
  if (status == CLOSED) {
    cr_expect(want == CLOSED || closed_ok, "%s: no answer", name);
    return;
  }
  if (want == ANY4XX || (closed_ok && want == CLOSED)) cr_expect(status >= 400 && status < 500, "%s: %d", name, status);
  else cr_expect_eq(status, want, "%s: %d, want %d: %.300s", name, status, want, answer);
  const char *body = strstr(answer, "\r\n\r\n");
  if (status >= 400 && body) cr_expect(strstr(body, "{\"error\":{\"code\":\""), "%s: not the envelope: %.200s", name, body);
}

static void setup(void) {
  static const char *const settings[] = {"server.request_timeout=1s", "server.max_body=65536", "server.threads=8", NULL};
  ah_start(&h, settings, true, 0);
  struct orch_error err = {0};
  cr_assert_eq(orch_config_set(h.cfg, "server.listen", "127.0.0.1:0", ORCH_CFG_SRC_FLAG, "test", &err), 0);
  cr_assert_eq(orch_api_server_start(h.api, h.cfg, &srv, &err), 0, "%s", err.message);
  struct api_r r;
  ah_r_init(&r);
  ah_req(&h, &r, "POST", "/api/v1/protection-groups", h.admin,
         "{\"name\": \"orders-db\", \"account\": \"111122223333\", \"region\": \"us-east-1\", \"selector\": {\"tags\": {\"Tier\": \"db\"}}}", NULL);
  snprintf(group_id, sizeof group_id, "%s", ah_str(&r, "id"));
  ah_req(&h, &r, "POST", "/api/v1/plans", h.admin,
         "{\"source\": \"return plan { name = \\\"p\\\", waves = { wave \\\"db\\\" { servers = group \\\"orders-db\\\" } } }\"}", NULL);
  snprintf(plan_id, sizeof plan_id, "%s", ah_str(&r, "plan.id"));
  ah_r_release(&r);
}

static void teardown(void) {
  orch_api_server_stop(srv);
  ah_stop(&h);
}

TestSuite(robustness, .init = setup, .fini = teardown, .timeout = 300);

static void healthy(void) {
  static char answer[65536];
  const char req[] = "GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n";
  cr_assert_eq(send_raw(req, sizeof req - 1, answer, sizeof answer), 200, "the server still answers: %s", answer);
}

Test(robustness, the_table) {
  static char answer[65536];
  size_t n = sizeof cases / sizeof cases[0];
  cr_assert_geq(n, 60, "at least 60 cases: %zu", n);
  for (size_t i = 0; i < n; i++) {
    struct orch_buf raw = ORCH_BUF_INIT(0);
    expand(cases[i].raw, strlen(cases[i].raw), &raw);
    int status = send_raw(raw.data, raw.len, answer, sizeof answer);
    check_answer(cases[i].name, status, answer, cases[i].want, cases[i].closed_ok);
    orch_buf_free(&raw);
  }
  healthy();
}

/* Bodies and headers made in code: too large, too deep, too many. */
Test(robustness, sizes) {
  static char answer[65536];
  struct orch_buf b = ORCH_BUF_INIT(0);
  /* 3 MB body (the limit is 64 KiB here): refused from its length, unread */
  size_t big = (size_t)3 << 20;
  cr_assert_eq(orch_buf_printf(&b, "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                                   "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", h.admin, big), 0);
  cr_assert_eq(orch_buf_reserve(&b, big), 0);
  memset(b.data + b.len, ' ', big);
  b.len += big;
  check_answer("3 MB body", send_raw(b.data, b.len, answer, sizeof answer), answer, 413, true);
  /* 10 000 levels of nesting, within the size limit */
  orch_buf_reset(&b);
  cr_assert_eq(orch_buf_printf(&b, "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\n"
                                   "Content-Type: application/json\r\nContent-Length: 20000\r\n\r\n", h.admin), 0);
  for (int i = 0; i < 10000; i++) cr_assert_eq(orch_buf_putc(&b, '['), 0);
  for (int i = 0; i < 10000; i++) cr_assert_eq(orch_buf_putc(&b, ']'), 0);
  check_answer("10 000 levels deep", send_raw(b.data, b.len, answer, sizeof answer), answer, 400, false);
  /* a 64 KiB line of headers, 200 headers, a 20 KiB cookie */
  orch_buf_reset(&b);
  cr_assert_eq(orch_buf_puts(&b, "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Big: "), 0);
  for (int i = 0; i < 65536; i++) cr_assert_eq(orch_buf_putc(&b, 'a'), 0);
  cr_assert_eq(orch_buf_puts(&b, "\r\n\r\n"), 0);
  check_answer("64 KiB header", send_raw(b.data, b.len, answer, sizeof answer), answer, ANY4XX, true);
  orch_buf_reset(&b);
  cr_assert_eq(orch_buf_puts(&b, "GET /api/v1/health HTTP/1.1\r\nHost: t\r\n"), 0);
  for (int i = 0; i < 200; i++) cr_assert_eq(orch_buf_printf(&b, "X-H%d: %d\r\n", i, i), 0);
  cr_assert_eq(orch_buf_puts(&b, "\r\n"), 0);
  int status = send_raw(b.data, b.len, answer, sizeof answer);
  cr_expect(status == 200 || (status >= 400 && status < 500), "200 headers: %d", status);
  orch_buf_reset(&b);
  cr_assert_eq(orch_buf_printf(&b, "GET /api/v1/plans HTTP/1.1\r\nHost: t\r\nAuthorization: Bearer %s\r\nCookie: x=", h.admin), 0);
  for (int i = 0; i < 14000; i++) cr_assert_eq(orch_buf_putc(&b, 'c'), 0);
  cr_assert_eq(orch_buf_puts(&b, "\r\n\r\n"), 0);
  status = send_raw(b.data, b.len, answer, sizeof answer);
  cr_expect(status == 200 || status == 400 || status == 431, "a big cookie: %d", status);
  orch_buf_free(&b);
  healthy();
}

/* A request trickled a byte every 100 ms is cut off at server.request_timeout (1 s) with a 4xx, and other
 * clients are answered meanwhile. */
Test(robustness, trickled_requests) {
  static char answer[65536];
  const char req[] = "GET /api/v1/health HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
  int fd = connect_server();
  bool cut = false;
  for (size_t i = 0; i < sizeof req - 1 && !cut; i++) {
    if (send(fd, req + i, 1, MSG_NOSIGNAL) != 1) cut = true;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 100) > 0) cut = true; /* the server spoke (or closed) before the request was complete */
    if (i == 5) healthy(); /* another client is not held up */
  }
  int status = read_answer(fd, answer, sizeof answer, 5000);
  close(fd);
  cr_assert(cut, "the trickle of %zu bytes (over %zu s) was never cut off", sizeof req - 1, (sizeof req - 1) / 10);
  cr_assert(status == CLOSED || (status >= 400 && status < 500), "trickle: %d %s", status, answer);
  /* a body trickled after complete headers */
  const char head[] = "POST /api/v1/plans/validate HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{";
  fd = connect_server();
  cr_assert_eq(send(fd, head, sizeof head - 1, MSG_NOSIGNAL), (ssize_t)(sizeof head - 1));
  status = read_answer(fd, answer, sizeof answer, 5000);
  close(fd);
  cr_assert(status == CLOSED || (status >= 400 && status < 500), "slow body: %d %s", status, answer);
  healthy();
}
