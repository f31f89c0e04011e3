/* Tests for orch_aws_curl against a loopback HTTP server: requests as sent, User-Agent, connection
 * reuse, the response size cap, reset mid-body, timeouts, refused connections, NO_PROXY. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "aws/orch_aws_curl.h"
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

Test(aws_curl, sends_request_and_reads_response) {
  struct seen s = {0};
  struct lb_server *srv = lb_start(handler, &s);
  cr_assert(srv);
  char url[64];
  lb_url(srv, url, sizeof url);
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_assert_eq(send_req(&t, url, "POST", "/a%2Fb/c", "x=1&y=%20", "{\"k\":1}", &resp, &err), 0, "%s", err.message);
  cr_expect_eq(resp.status, 200);
  cr_expect_str_eq(orch_buf_cstr(&resp.body), "{\"got\":7}");
  cr_expect_str_eq(orch_http_headers_get(&resp.headers, "x-amzn-requestid"), "rid-123");
  cr_expect_str_eq(s.last.method, "POST");
  cr_expect_str_eq(s.last.target, "/a%2Fb/c?x=1&y=%20", "path and query go out exactly as given");
  cr_expect_str_eq(s.ua, "drsorch/" ORCH_VERSION);
  char v[64];
  cr_expect(lb_header(&s.last, "X-Custom", v, sizeof v) && strcmp(v, "v 1") == 0);
  cr_expect(lb_header(&s.last, "X-Empty", v, sizeof v) && v[0] == '\0', "an empty header is still sent");
  cr_expect_not(lb_header(&s.last, "Expect", v, sizeof v));
  cr_expect(lb_header(&s.last, "Content-Type", v, sizeof v) && strcmp(v, "application/x-amz-json-1.1") == 0);

  cr_assert_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), 0, "%s", err.message);
  cr_expect_str_eq(s.last.method, "GET");
  cr_expect_not(lb_header(&s.last, "Content-Type", v, sizeof v), "curl adds no Content-Type of its own");
  cr_assert_eq(send_req(&t, url, "PUT", "/latest/api/token", "", "", &resp, &err), 0, "%s", err.message);
  cr_expect_str_eq(s.last.method, "PUT");
  cr_expect_str_eq(orch_http_headers_get(&resp.headers, "X-Echo-Method"), "PUT");
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

Test(aws_curl, reuses_connections) {
  struct seen s = {0};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64];
  lb_url(srv, url, sizeof url);
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  for (int i = 0; i < 5; i++) cr_assert_eq(send_req(&t, url, "POST", "/", "", "{}", &resp, &err), 0, "%s", err.message);
  cr_expect_eq(lb_accepted(srv), 1, "five calls over one kept-alive connection");
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

Test(aws_curl, status_5xx_is_not_a_transport_error) {
  struct seen s = {.mode = 4};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64];
  lb_url(srv, url, sizeof url);
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), 0);
  cr_expect_eq(resp.status, 503);
  cr_expect(strstr(orch_buf_cstr(&resp.body), "<html>"));
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

Test(aws_curl, response_over_the_cap_is_etoobig) {
  struct seen s = {.mode = 1};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64];
  lb_url(srv, url, sizeof url);
  struct orch_aws_curl_config cfg = {.max_response_bytes = 1000};
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(&cfg, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), ORCH_ETOOBIG);
  cr_expect(strstr(err.message, "1000-byte"), "the message names the cap: %s", err.message);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

Test(aws_curl, reset_mid_body_is_econn) {
  struct seen s = {.mode = 2};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64];
  lb_url(srv, url, sizeof url);
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), ORCH_ECONN);
  cr_expect(strstr(err.message, "mid-response after 100 body bytes"), "%s", err.message);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

Test(aws_curl, slow_server_times_out) {
  struct seen s = {.mode = 3};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64];
  lb_url(srv, url, sizeof url);
  struct orch_aws_curl_config cfg = {.timeout_ms = 300};
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(&cfg, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), ORCH_ETIMEDOUT);
  cr_expect(strstr(err.message, "timed out"), "%s", err.message);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

static int closed_port(void) {
  struct lb_server *srv = lb_start(handler, NULL);
  int port = srv->port;
  lb_stop(srv);
  return port;
}

Test(aws_curl, refused_connection_is_econn) {
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", closed_port());
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), ORCH_ECONN);
  cr_expect(strstr(err.message, "cannot connect"), "%s", err.message);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
}

Test(aws_curl, https_to_a_plain_server_fails_cleanly) {
  struct seen s = {0};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64];
  snprintf(url, sizeof url, "https://127.0.0.1:%d", srv->port);
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), ORCH_ECONN);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}

Test(aws_curl, proxy_from_environment_and_no_proxy) {
  struct seen s = {0};
  struct lb_server *srv = lb_start(handler, &s);
  char url[64], proxy[64];
  lb_url(srv, url, sizeof url);
  snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", closed_port());
  setenv("http_proxy", proxy, 1);
  struct orch_http_transport t;
  struct orch_error err = {0};
  cr_assert_eq(orch_aws_curl_new(NULL, &t, &err), 0);
  struct orch_http_response resp = {0};
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), ORCH_ECONN, "goes to the (dead) proxy");
  setenv("NO_PROXY", "localhost,127.0.0.1", 1);
  cr_expect_eq(send_req(&t, url, "GET", "/", "", NULL, &resp, &err), 0, "NO_PROXY bypasses it: %s", err.message);
  orch_http_response_free(&resp);
  t.ops->destroy(t.ctx);
  lb_stop(srv);
}
