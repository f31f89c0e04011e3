/* Tests for orch_aws_curl against a loopback HTTP server: requests as sent, User-Agent, connection
 * reuse, the response size cap, reset mid-body, timeouts, refused connections, NO_PROXY. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_curl.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "loopback_http.h"

struct seen {
  struct lb_request last;
  char ua[256];
  int mode; /* 0 echo, 1 big, 2 truncated, 3 slow, 4 503 */
};

static void handler(void *ctx, const struct lb_request *req, struct lb_response *resp) {
  struct seen *s = ctx;
  s->last = *req;
  s->last.body = NULL;
  lb_header(req, "User-Agent", s->ua, sizeof s->ua);
  snprintf(resp->headers, sizeof resp->headers, "x-amzn-RequestId: rid-123\r\nX-Echo-Method: %s\r\n", req->method);
  switch (s->mode) {
    case 1:
      memset(resp->body, 'a', 5000);
      resp->body_len = 5000;
      break;
    case 2:
      memset(resp->body, 'b', 1000);
      resp->body_len = 1000;
      resp->truncate_body = 100;
      break;
    case 3:
      resp->delay_ms = 1500;
      snprintf(resp->body, sizeof resp->body, "late");
      break;
    case 4:
      resp->status = 503;
      snprintf(resp->body, sizeof resp->body, "<html>Service Unavailable</html>");
      break;
    default:
      snprintf(resp->body, sizeof resp->body, "{\"got\":%zu}", req->body_len);
  }
}

static void unset_proxies(void) {
  const char *vars[] = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY"};
  for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) unsetenv(vars[i]);
}

TestSuite(aws_curl, .init = unset_proxies);

/* A loopback server in `mode` and a transport configured with `cfg` (NULL: defaults). */
struct rig {
  struct seen s;
  struct lb_server *srv;
  char url[64];
  struct orch_http_transport t;
  struct orch_http_response resp;
  struct orch_error err;
};

static void rig_up(struct rig *r, int mode, const struct orch_aws_curl_config *cfg) {
  memset(r, 0, sizeof *r);
  r->s.mode = mode;
  r->srv = lb_start(handler, &r->s);
  cr_assert(r->srv);
  lb_url(r->srv, r->url, sizeof r->url);
  cr_assert_eq(orch_aws_curl_new(cfg, &r->t, &r->err), 0);
}

static void rig_down(struct rig *r) {
  orch_http_response_free(&r->resp);
  r->t.ops->destroy(r->t.ctx);
  lb_stop(r->srv);
}

static int send_req(struct orch_http_transport *t, const char *url, const char *method, const char *path,
                    const char *query, const char *body, struct orch_http_response *resp, struct orch_error *err) {
  struct orch_http_request req = {0};
  snprintf(req.method, sizeof req.method, "%s", method);
  cr_assert_eq(orch_http_request_set_target(&req, path, query), 0);
  cr_assert_eq(orch_http_headers_add(&req.headers, "X-Custom", "v 1"), 0);
  cr_assert_eq(orch_http_headers_add(&req.headers, "X-Empty", ""), 0);
  if (body) {
    cr_assert_eq(orch_http_headers_add(&req.headers, "Content-Type", "application/x-amz-json-1.1"), 0);
    cr_assert_eq(orch_buf_puts(&req.body, body), 0);
  }
  int rc = t->ops->send(t->ctx, url, &req, resp, err);
  orch_http_request_free(&req);
  return rc;
}

static int rig_get(struct rig *r) { return send_req(&r->t, r->url, "GET", "/", "", NULL, &r->resp, &r->err); }

Test(aws_curl, sends_request_and_reads_response) {
  struct rig r;
  rig_up(&r, 0, NULL);
  char v[64];
  cr_assert_eq(send_req(&r.t, r.url, "POST", "/a%2Fb/c", "x=1&y=%20", "{\"k\":1}", &r.resp, &r.err), 0, "%s", r.err.message);
  cr_expect_eq(r.resp.status, 200);
  cr_expect_str_eq(orch_buf_cstr(&r.resp.body), "{\"got\":7}");
  cr_expect_str_eq(orch_http_headers_get(&r.resp.headers, "x-amzn-requestid"), "rid-123");
  cr_expect_str_eq(r.s.last.method, "POST");
  cr_expect_str_eq(r.s.last.target, "/a%2Fb/c?x=1&y=%20", "path and query go out exactly as given");
  cr_expect_str_eq(r.s.ua, "drsorch/" ORCH_VERSION);
  cr_expect(lb_header(&r.s.last, "X-Custom", v, sizeof v) && strcmp(v, "v 1") == 0);
  cr_expect(lb_header(&r.s.last, "X-Empty", v, sizeof v) && v[0] == '\0', "an empty header is still sent");
  cr_expect_not(lb_header(&r.s.last, "Expect", v, sizeof v));
  cr_expect(lb_header(&r.s.last, "Content-Type", v, sizeof v) && strcmp(v, "application/x-amz-json-1.1") == 0);

  cr_assert_eq(rig_get(&r), 0, "%s", r.err.message);
  cr_expect_str_eq(r.s.last.method, "GET");
  cr_expect_not(lb_header(&r.s.last, "Content-Type", v, sizeof v), "curl adds no Content-Type of its own");
  cr_assert_eq(send_req(&r.t, r.url, "PUT", "/latest/api/token", "", "", &r.resp, &r.err), 0, "%s", r.err.message);
  cr_expect_str_eq(r.s.last.method, "PUT");
  cr_expect_str_eq(orch_http_headers_get(&r.resp.headers, "X-Echo-Method"), "PUT");
  rig_down(&r);
}

Test(aws_curl, reuses_connections) {
  struct rig r;
  rig_up(&r, 0, NULL);
  for (int i = 0; i < 5; i++)
    cr_assert_eq(send_req(&r.t, r.url, "POST", "/", "", "{}", &r.resp, &r.err), 0, "%s", r.err.message);
  cr_expect_eq(lb_accepted(r.srv), 1, "five calls over one kept-alive connection");
  rig_down(&r);
}

/* Running out of memory while storing an answer that arrived keeps its status: the server acted on the
 * request, and a caller acknowledging a write must be able to tell. */
Test(aws_curl, an_answer_that_cannot_be_stored_keeps_its_status) {
  struct rig r;
  rig_up(&r, 0, NULL);
  struct orch_http_request req = {0};
  snprintf(req.method, sizeof req.method, "POST");
  cr_assert_eq(orch_http_request_set_target(&req, "/", ""), 0);
  cr_assert_eq(orch_buf_puts(&req.body, "{}"), 0);
  int kept = 0, ok = 0;
  for (long n = 0; n < 64 && !ok; n++) {
    orch_alloc_fail_after(n);
    int rc = r.t.ops->send(r.t.ctx, r.url, &req, &r.resp, &r.err);
    orch_alloc_fail_after(-1);
    if (rc == 0) {
      ok = 1;
      cr_expect_eq(r.resp.status, 200);
    } else {
      cr_assert_eq(rc, ORCH_ENOMEM, "allocation %ld: %s", n, r.err.message);
      /* 0 when memory ran out before the request went out */
      cr_expect(r.resp.status == 0 || r.resp.status == 200, "allocation %ld: status %d", n, r.resp.status);
      kept += r.resp.status == 200;
    }
  }
  cr_expect(ok, "the send succeeds once allocations do");
  cr_expect_gt(kept, 0, "some failures came after the answer");
  orch_http_request_free(&req);
  rig_down(&r);
}

Test(aws_curl, status_5xx_is_not_a_transport_error) {
  struct rig r;
  rig_up(&r, 4, NULL);
  cr_expect_eq(rig_get(&r), 0);
  cr_expect_eq(r.resp.status, 503);
  cr_expect(strstr(orch_buf_cstr(&r.resp.body), "<html>"));
  rig_down(&r);
}

Test(aws_curl, response_over_the_cap_is_etoobig) {
  struct rig r;
  struct orch_aws_curl_config cfg = {.max_response_bytes = 1000};
  rig_up(&r, 1, &cfg);
  cr_expect_eq(rig_get(&r), ORCH_ETOOBIG);
  cr_expect(strstr(r.err.message, "1000-byte"), "the message names the cap: %s", r.err.message);
  rig_down(&r);
}

Test(aws_curl, reset_mid_body_is_econn) {
  struct rig r;
  rig_up(&r, 2, NULL);
  cr_expect_eq(rig_get(&r), ORCH_ECONN);
  cr_expect(strstr(r.err.message, "mid-response after 100 body bytes"), "%s", r.err.message);
  rig_down(&r);
}

Test(aws_curl, slow_server_times_out) {
  struct rig r;
  struct orch_aws_curl_config cfg = {.timeout_ms = 300};
  rig_up(&r, 3, &cfg);
  cr_expect_eq(rig_get(&r), ORCH_ETIMEDOUT);
  cr_expect(strstr(r.err.message, "timed out"), "%s", r.err.message);
  rig_down(&r);
}

static int closed_port(void) {
  struct lb_server *srv = lb_start(handler, NULL);
  int port = srv->port;
  lb_stop(srv);
  return port;
}

Test(aws_curl, refused_connection_is_econn) {
  struct rig r;
  rig_up(&r, 0, NULL);
  snprintf(r.url, sizeof r.url, "http://127.0.0.1:%d", closed_port());
  cr_expect_eq(rig_get(&r), ORCH_ECONN);
  cr_expect(strstr(r.err.message, "cannot connect"), "%s", r.err.message);
  rig_down(&r);
}

Test(aws_curl, https_to_a_plain_server_fails_cleanly) {
  struct rig r;
  rig_up(&r, 0, NULL);
  snprintf(r.url, sizeof r.url, "https://127.0.0.1:%d", r.srv->port);
  cr_expect_eq(rig_get(&r), ORCH_ECONN);
  cr_expect(strstr(r.err.message, "TLS"), "%s", r.err.message);
  rig_down(&r);
}

Test(aws_curl, proxy_from_environment_and_no_proxy) {
  char proxy[64];
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", closed_port());
  setenv("http_proxy", proxy, 1);
  struct rig r;
  rig_up(&r, 0, NULL);
  cr_expect_eq(rig_get(&r), ORCH_ECONN, "goes to the (dead) proxy");
  setenv("NO_PROXY", "localhost,127.0.0.1", 1);
  cr_expect_eq(rig_get(&r), 0, "NO_PROXY bypasses it: %s", r.err.message);
  rig_down(&r);
}

Test(aws_curl, request_id_is_logged_at_debug) {
  FILE *log = tmpfile();
  cr_assert(log);
  orch_log_configure(ORCH_LOG_DEBUG, ORCH_LOG_TEXT, log);
  struct rig r;
  rig_up(&r, 0, NULL);
  cr_assert_eq(rig_get(&r), 0, "%s", r.err.message);
  rig_down(&r);
  orch_log_configure(ORCH_LOG_INFO, ORCH_LOG_TEXT, NULL);
  char text[4096] = "";
  rewind(log);
  size_t n = fread(text, 1, sizeof text - 1, log);
  text[n] = '\0';
  fclose(log);
  cr_expect(strstr(text, "rid-123"), "the AWS request id is in the debug line: %s", text);
  cr_expect(strstr(text, "-> 200"), "%s", text);
}
