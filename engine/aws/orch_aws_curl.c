/* orch_aws_curl: libcurl transport. Easy handles are pooled (popped per request, pushed back after),
 * which keeps each handle's connection cache warm without per-thread state to clean up.
 * Uses libcurl, orch_http, orch_buf, orch_log, orch_alloc, pthreads. */
#include "aws/orch_aws_curl.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"

struct curl_transport {
  struct orch_aws_curl_config cfg;
  char *ca_file;
  pthread_mutex_t mu;
  CURL **idle;
  size_t nidle;
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_OK;
static void global_init(void) { global_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Running out of memory storing the response does not abort the transfer: the rest is read and dropped,
 * so the status is still known (a caller that only needs the acknowledgement of a write can use it). */
struct xfer {
  struct orch_http_response *resp;
  size_t cap;
  bool too_big;
  bool oom;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp) {
  struct xfer *x = userp;
  size_t n = size * nmemb;
  if (x->resp->body.len + n > x->cap) {
    x->too_big = true;
    return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
  }
  if (!x->oom && orch_buf_append(&x->resp->body, data, n)) x->oom = true;
  return n;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userp) {
  struct xfer *x = userp;
  size_t n = size * nmemb, len = n;
  while (len && (data[len - 1] == '\r' || data[len - 1] == '\n')) len--;
  if (x->oom) return n;
  if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
    /* A new status line (after 100 Continue): drop what came before. */
    orch_http_headers_free(&x->resp->headers);
    return n;
  }
  const char *colon = memchr(data, ':', len);
  if (!colon || colon == data) return n;
  char *name = orch_strndup(data, (size_t)(colon - data));
  struct orch_strview v = orch_str_trim((struct orch_strview){colon + 1, len - (size_t)(colon + 1 - data)});
  char *value = orch_strndup(v.p, v.n);
  if (!name || !value || orch_http_headers_add(&x->resp->headers, name, value)) x->oom = true;
  orch_free(name);
  orch_free(value);
  return n;
}

static CURL *pool_get(struct curl_transport *t) {
  CURL *h = NULL;
  pthread_mutex_lock(&t->mu);
  if (t->nidle) h = t->idle[--t->nidle];
  pthread_mutex_unlock(&t->mu);
  if (h) curl_easy_reset(h); /* keeps the connection cache */
  else h = curl_easy_init();
  return h;
}

static void pool_put(struct curl_transport *t, CURL *h) {
  pthread_mutex_lock(&t->mu);
  if (t->nidle < t->cfg.max_idle_handles) {
    t->idle[t->nidle++] = h;
    h = NULL;
  }
  pthread_mutex_unlock(&t->mu);
  if (h) curl_easy_cleanup(h);
}

static int map_error(CURLcode cc, const struct xfer *x, const char *errbuf, const char *url, struct orch_error *err) {
  const char *what = errbuf[0] ? errbuf : curl_easy_strerror(cc);
  size_t got = x->resp->body.len;
  switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
      return orch_error_set(err, ORCH_ETIMEDOUT, "request to %s timed out (%s)", url, what);
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return orch_error_set(err, ORCH_ECONN, "cannot resolve the host of %s (%s)", url, what);
    case CURLE_COULDNT_CONNECT:
      return orch_error_set(err, ORCH_ECONN, "cannot connect to %s (%s)", url, what);
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CACERT_BADFILE:
      return orch_error_set(err, ORCH_ECONN, "TLS failure talking to %s (%s)", url, what);
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2_STREAM:
      return orch_error_set(err, ORCH_ECONN, "connection to %s was reset or closed mid-response after %zu body bytes (%s)",
                            url, got, what);
    case CURLE_WRITE_ERROR:
      if (x->too_big)
        return orch_error_set(err, ORCH_ETOOBIG, "response from %s is larger than the %zu-byte response size cap", url,
                              x->cap);
      return orch_error_set(err, ORCH_ENOMEM, "out of memory storing the response from %s", url);
    default:
      return orch_error_set(err, ORCH_EIO, "request to %s failed: %s", url, what);
  }
}

/* curl_slist_append copies; each failure leaves the list as it was. */
static int add_header(struct curl_slist **list, const char *name, const char *value) {
  struct orch_buf b = ORCH_BUF_INIT(0);
  int rc = *value ? orch_buf_printf(&b, "%s: %s", name, value) : orch_buf_printf(&b, "%s;", name);
  if (!rc) {
    struct curl_slist *n = curl_slist_append(*list, orch_buf_cstr(&b));
    if (n) *list = n;
    else rc = ORCH_ENOMEM;
  }
  orch_buf_free(&b);
  return rc;
}

#define SETOPT(h, opt, val)                                         \
  do {                                                              \
    if (curl_easy_setopt((h), (opt), (val)) != CURLE_OK) goto setopt_fail; \
  } while (0)

static int curl_send(void *ctx, const char *endpoint, const struct orch_http_request *req,
                     struct orch_http_response *resp, struct orch_error *err) {
  struct curl_transport *t = ctx;
  struct orch_buf url = ORCH_BUF_INIT(0);
  struct curl_slist *hdrs = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  struct xfer x = {.resp = resp, .cap = t->cfg.max_response_bytes};
  int rc = 0;
  /* At the first request, not when the transport is made: curl_global_init initialises OpenSSL (about
   * 2 MB of a process), which an idle `drsorch serve` then never pays. Thread-safe since curl 7.84. */
  pthread_once(&global_once, global_init);
  if (global_rc != CURLE_OK) return orch_error_set(err, ORCH_EINTERNAL, "curl_global_init failed: %s", curl_easy_strerror(global_rc));
  CURL *h = pool_get(t);
  if (!h) return orch_error_set(err, ORCH_ENOMEM, "cannot create a curl handle");

  resp->status = 0;
  orch_http_headers_free(&resp->headers);
  orch_buf_reset(&resp->body);
  if ((rc = orch_buf_puts(&url, endpoint)) || (rc = orch_buf_puts(&url, req->path && *req->path ? req->path : "/")) ||
      (req->query && *req->query && ((rc = orch_buf_putc(&url, '?')) || (rc = orch_buf_puts(&url, req->query))))) {
    orch_error_set(err, rc, "building the request URL: %s", orch_error_str(rc));
    goto out;
  }
  bool has_ct = false;
  for (size_t i = 0; i < req->headers.n && !rc; i++) {
    if (orch_str_iequal(req->headers.items[i].name, "content-type")) has_ct = true;
    rc = add_header(&hdrs, req->headers.items[i].name, req->headers.items[i].value);
  }
  /* Keep curl from adding headers of its own ("Name:" removes one). */
  const char *drop[] = {"Expect:", "Accept:", has_ct ? NULL : "Content-Type:"};
  for (size_t i = 0; i < 3 && !rc; i++) {
    if (!drop[i]) continue;
    struct curl_slist *n = curl_slist_append(hdrs, drop[i]);
    if (n) hdrs = n;
    else rc = ORCH_ENOMEM;
  }
  if (rc) {
    orch_error_set(err, rc, "building request headers: %s", orch_error_str(rc));
    goto out;
  }

  SETOPT(h, CURLOPT_URL, orch_buf_cstr(&url));
  SETOPT(h, CURLOPT_HTTPHEADER, hdrs);
  SETOPT(h, CURLOPT_USERAGENT, ORCH_AWS_CURL_USER_AGENT);
  SETOPT(h, CURLOPT_NOSIGNAL, 1L);
  SETOPT(h, CURLOPT_CONNECTTIMEOUT_MS, (long)t->cfg.connect_timeout_ms);
  SETOPT(h, CURLOPT_TIMEOUT_MS, (long)t->cfg.timeout_ms);
  SETOPT(h, CURLOPT_SSL_VERIFYPEER, 1L);
  SETOPT(h, CURLOPT_SSL_VERIFYHOST, 2L);
  SETOPT(h, CURLOPT_TCP_KEEPALIVE, 1L);
  SETOPT(h, CURLOPT_FOLLOWLOCATION, 0L);
  SETOPT(h, CURLOPT_ACCEPT_ENCODING, NULL);
  SETOPT(h, CURLOPT_PROTOCOLS_STR, "http,https");
  if (t->ca_file) SETOPT(h, CURLOPT_CAINFO, t->ca_file);
  const char *no_proxy = getenv("NO_PROXY");
  if (!no_proxy || !*no_proxy) no_proxy = getenv("no_proxy");
  if (no_proxy && *no_proxy) SETOPT(h, CURLOPT_NOPROXY, no_proxy);
  SETOPT(h, CURLOPT_ERRORBUFFER, errbuf);
  SETOPT(h, CURLOPT_WRITEFUNCTION, on_body);
  SETOPT(h, CURLOPT_WRITEDATA, &x);
  SETOPT(h, CURLOPT_HEADERFUNCTION, on_header);
  SETOPT(h, CURLOPT_HEADERDATA, &x);
  if (strcmp(req->method, "GET") == 0 && req->body.len == 0) {
    SETOPT(h, CURLOPT_HTTPGET, 1L);
  } else if (strcmp(req->method, "HEAD") == 0) {
    SETOPT(h, CURLOPT_NOBODY, 1L);
  } else {
    if (strcmp(req->method, "POST") != 0) SETOPT(h, CURLOPT_CUSTOMREQUEST, req->method);
    SETOPT(h, CURLOPT_POST, 1L);
    SETOPT(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body.len);
    SETOPT(h, CURLOPT_POSTFIELDS, req->body.data ? req->body.data : "");
  }

  CURLcode cc = curl_easy_perform(h);
  if (cc != CURLE_OK) {
    rc = map_error(cc, &x, errbuf, orch_buf_cstr(&url), err);
    goto out;
  }
  long status = 0;
  if (curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = 0;
  if (x.oom) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory storing the response (HTTP %ld) from %s", status,
                        orch_buf_cstr(&url));
    orch_http_headers_free(&resp->headers);
    orch_buf_reset(&resp->body);
    resp->status = (int)status; /* what the service answered, though its body is lost */
    curl_easy_cleanup(h);
    h = NULL;
    goto done;
  }
  resp->status = (int)status;
  if (orch_log_enabled(ORCH_LOG_DEBUG)) {
    const char *rid = orch_http_headers_get(&resp->headers, "x-amzn-RequestId");
    if (!rid) rid = orch_http_headers_get(&resp->headers, "x-amz-request-id");
    struct orch_log_field f[] = {{"aws_request_id", rid ? rid : "-"}};
    orch_log_write(ORCH_LOG_DEBUG, f, 1, "aws http %s %s -> %d (%zu bytes)", req->method, orch_buf_cstr(&url),
                   resp->status, resp->body.len);
  }
  goto out;
setopt_fail:
  rc = orch_error_set(err, ORCH_EINTERNAL, "libcurl rejected an option (is it built without HTTPS?)");
out:
  if (rc) {
    orch_http_headers_free(&resp->headers);
    resp->status = 0;
  }
  if (rc) curl_easy_cleanup(h); /* a failed connection is not worth keeping */
  else pool_put(t, h);
done:
  curl_slist_free_all(hdrs);
  orch_buf_free(&url);
  return rc;
}

static void curl_destroy(void *ctx) {
  struct curl_transport *t = ctx;
  if (!t) return;
  for (size_t i = 0; i < t->nidle; i++) curl_easy_cleanup(t->idle[i]);
  orch_free(t->idle);
  orch_free(t->ca_file);
  pthread_mutex_destroy(&t->mu);
  orch_free(t);
}

static const struct orch_http_transport_ops curl_ops = {.send = curl_send, .destroy = curl_destroy};

int orch_aws_curl_new(const struct orch_aws_curl_config *cfg, struct orch_http_transport *out, struct orch_error *err) {
  struct curl_transport *t = orch_calloc(1, sizeof *t);
  if (!t) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  if (cfg) t->cfg = *cfg;
  if (t->cfg.connect_timeout_ms <= 0) t->cfg.connect_timeout_ms = ORCH_AWS_CURL_CONNECT_TIMEOUT_MS;
  if (t->cfg.timeout_ms <= 0) t->cfg.timeout_ms = ORCH_AWS_CURL_TIMEOUT_MS;
  if (t->cfg.max_response_bytes == 0) t->cfg.max_response_bytes = ORCH_AWS_CURL_MAX_RESPONSE;
  if (t->cfg.max_idle_handles == 0) t->cfg.max_idle_handles = 8;
  t->idle = orch_calloc(t->cfg.max_idle_handles, sizeof *t->idle);
  /* CURL_CA_BUNDLE (as the curl tool reads it) names the CA bundle when the configuration does not: the
   * Lambda package carries its own, because Amazon Linux keeps its bundle elsewhere than Debian. */
  const char *ca = t->cfg.ca_file ? t->cfg.ca_file : getenv("CURL_CA_BUNDLE");
  if (ca && !*ca) ca = NULL;
  t->ca_file = ca ? orch_strdup(ca) : NULL;
  if (!t->idle || (ca && !t->ca_file) || pthread_mutex_init(&t->mu, NULL)) {
    orch_free(t->idle);
    orch_free(t->ca_file);
    orch_free(t);
    return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  }
  t->cfg.ca_file = NULL;
  out->ops = &curl_ops;
  out->ctx = t;
  return 0;
}
