/* orch_aws_client: the generic call (model lookup, build, endpoint, sign, send, parse, classify, retry,
 * pace), pagination, per-operation counters, and the structured error record.
 * Uses orch_aws_model, orch_aws_proto, orch_sigv4, orch_aws_creds, orch_aws_endpoint, orch_aws_retry,
 * orch_aws_ratelimit, orch_aws_curl, orch_log, pthreads, jansson. */
#include "aws/orch_aws_client.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/orch_aws_curl.h"
#include "aws/orch_aws_endpoint.h"
#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "aws/orch_aws_s3.h"
#include "aws/orch_sigv4.h"
#include "core/orch_alloc.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "core/orch_time.h"

/* Client-side error codes in orch_aws_error.code (besides ORCH_AWS_CODE_CONNECTION / _TIMEOUT). */
#define CODE_UNKNOWN_OPERATION "UnknownOperationException"
#define CODE_VALIDATION "ValidationError"
#define CODE_NO_CREDENTIALS "MissingCredentials"
#define CODE_MALFORMED "MalformedResponse"
#define CODE_NON_AWS "NonAwsResponse"
#define CODE_TOO_LARGE "ResponseTooLarge"
#define CODE_INTERNAL "ClientError"

struct orch_aws_client {
  char *region, *endpoint_url, *profile;
  const struct orch_aws_profiles *profiles;
  struct orch_aws_creds *creds;
  struct orch_http_transport transport;
  bool own_transport;
  const struct orch_clock *clock;
  void (*sleep_ms)(void *ctx, int64_t ms);
  void *sleep_ctx;
  struct orch_aws_retry *retry;
  struct orch_aws_ratelimit *rl;
  bool no_ratelimit;
  bool s3_path_style;
  struct orch_sigv4_cache *sigcache;
  size_t max_pages;
  pthread_mutex_t mu; /* guards stats */
  struct orch_aws_op_stats *stats;
  size_t nstats, capstats;
};

/* Backoff and pacing sleep through the client's clock: a simulated clock stands still or jumps. */
static void clock_sleep(void *ctx, int64_t ms) { orch_clock_sleep_ms(ctx, ms); }

int orch_aws_client_new(const struct orch_aws_client_config *cfg, struct orch_aws_client **out,
                        struct orch_error *err) {
  if (!cfg || !cfg->creds || !orch_aws_region_valid(cfg->region))
    return orch_error_set(err, ORCH_EINVAL, "an AWS client needs credentials and a valid region (got '%s')",
                          cfg && cfg->region ? cfg->region : "");
  struct orch_aws_client *c = orch_calloc(1, sizeof *c);
  if (!c) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  int rc = 0;
  if (pthread_mutex_init(&c->mu, NULL)) {
    orch_free(c);
    return orch_error_set(err, ORCH_EINTERNAL, "mutex init failed");
  }
  c->region = orch_strdup(cfg->region);
  c->endpoint_url = cfg->endpoint_url && *cfg->endpoint_url ? orch_strdup(cfg->endpoint_url) : NULL;
  c->profile = cfg->profile ? orch_strdup(cfg->profile) : NULL;
  c->profiles = cfg->profiles;
  c->creds = cfg->creds;
  c->clock = cfg->clock ? cfg->clock : orch_clock_real();
  c->sleep_ms = cfg->sleep_ms ? cfg->sleep_ms : clock_sleep;
  c->sleep_ctx = cfg->sleep_ms ? cfg->sleep_ctx : (void *)(uintptr_t)c->clock;
  c->no_ratelimit = cfg->no_ratelimit;
  c->s3_path_style = cfg->s3_path_style;
  c->max_pages = cfg->max_pages ? cfg->max_pages : ORCH_AWS_CLIENT_MAX_PAGES;
  if (!c->region || (cfg->endpoint_url && *cfg->endpoint_url && !c->endpoint_url) || (cfg->profile && !c->profile)) {
    rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    goto fail;
  }
  if (cfg->transport) {
    c->transport = *cfg->transport;
  } else {
    if ((rc = orch_aws_curl_new(NULL, &c->transport, err))) goto fail;
    c->own_transport = true;
  }
  if ((rc = orch_aws_retry_new(&cfg->retry, &c->retry)) || (rc = orch_aws_ratelimit_new(&cfg->ratelimit, c->clock, &c->rl)) ||
      (rc = orch_sigv4_cache_new(&c->sigcache))) {
    orch_error_set(err, rc, "creating the AWS client: %s", orch_error_str(rc));
    goto fail;
  }
  *out = c;
  return 0;
fail:
  orch_aws_client_free(c);
  return rc;
}

void orch_aws_client_free(struct orch_aws_client *c) {
  if (!c) return;
  if (c->own_transport) c->transport.ops->destroy(c->transport.ctx);
  orch_aws_retry_free(c->retry);
  orch_aws_ratelimit_free(c->rl);
  orch_sigv4_cache_free(c->sigcache);
  orch_free(c->region);
  orch_free(c->endpoint_url);
  orch_free(c->profile);
  orch_free(c->stats);
  pthread_mutex_destroy(&c->mu);
  orch_free(c);
}

const char *orch_aws_client_region(const struct orch_aws_client *c) { return c->region; }

/* ---- structured errors ---- */

static void aerr_set(struct orch_aws_error *a, const char *code, int status, const char *fmt, ...) ORCH_PRINTF(4, 5);
static void aerr_set(struct orch_aws_error *a, const char *code, int status, const char *fmt, ...) {
  memset(a, 0, sizeof *a);
  snprintf(a->code, sizeof a->code, "%s", code);
  a->http_status = status;
  a->retry_after_ms = -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(a->message, sizeof a->message, fmt, ap);
  va_end(ap);
}

json_t *orch_aws_error_to_json(const struct orch_aws_error *e) {
  json_t *j = json_pack("{s:s, s:s, s:i, s:s, s:b, s:b}", "code", e->code, "message", e->message, "http_status",
                        e->http_status, "request_id", e->request_id, "retryable", e->retryable, "throttling",
                        e->throttling);
  if (j && e->retry_after_ms >= 0 && json_object_set_new(j, "retry_after_ms", json_integer(e->retry_after_ms))) {
    json_decref(j);
    j = NULL;
  }
  return j;
}

/* Did the service refuse the credentials as expired? EC2 says RequestExpired both for a request signed
 * too long ago and for an expired session token, so with temporary credentials that code is taken as
 * expired credentials first (one refresh); if the fresh ones fail too, it is reported as clock skew. */
static bool is_expired_credentials(const char *code, bool temporary, bool refreshed) {
  static const char *const codes[] = {"ExpiredToken", "ExpiredTokenException", "TokenRefreshRequired", NULL};
  for (size_t i = 0; codes[i]; i++)
    if (strcmp(code, codes[i]) == 0) return true;
  return temporary && !refreshed && strcmp(code, "RequestExpired") == 0;
}

/* A complaint about the request's time rather than its keys. */
static bool is_clock_skew(const struct orch_aws_error *a) {
  if (strcmp(a->code, "RequestTimeTooSkewed") == 0 || strcmp(a->code, "RequestExpired") == 0) return true;
  if (strcmp(a->code, "InvalidSignatureException") == 0 || strcmp(a->code, "SignatureDoesNotMatch") == 0 ||
      strcmp(a->code, "AuthFailure") == 0)
    return strstr(a->message, "Signature expired") || strstr(a->message, "signature expired") ||
           strstr(a->message, "time") || strstr(a->message, "Time");
  return false;
}

static void skew_hint(struct orch_aws_client *c, const struct orch_http_response *resp, struct orch_aws_error *a) {
  char hint[256] = "";
  const char *date = orch_http_headers_get(&resp->headers, "Date");
  int64_t server = 0;
  if (date && orch_time_parse_rfc1123(date, &server) == 0) {
    long long skew_s = (long long)((orch_clock_now_ms(c->clock) - server) / 1000);
    snprintf(hint, sizeof hint, " [clock skew: this machine's clock is %lld s %s AWS's; sync it (NTP)]",
             skew_s < 0 ? -skew_s : skew_s, skew_s < 0 ? "behind" : "ahead of");
  } else {
    snprintf(hint, sizeof hint, " [clock skew: the local clock looks wrong; sync it (NTP)]");
  }
  size_t n = strlen(a->message);
  snprintf(a->message + n, sizeof a->message - n, "%s", hint);
}

static bool looks_like_html(const struct orch_http_response *resp) {
  const char *ct = orch_http_headers_get(&resp->headers, "Content-Type");
  if (ct && strstr(ct, "text/html")) return true;
  struct orch_strview b = orch_str_trim((struct orch_strview){orch_buf_cstr(&resp->body), resp->body.len});
  return b.n >= 5 && (strncmp(b.p, "<!DOC", 5) == 0 || strncmp(b.p, "<html", 5) == 0 || strncmp(b.p, "<HTML", 5) == 0);
}

static void fill_request_id(struct orch_aws_error *a, const struct orch_http_response *resp) {
  if (a->request_id[0]) return;
  const char *rid = orch_http_headers_get(&resp->headers, "x-amzn-RequestId");
  if (!rid) rid = orch_http_headers_get(&resp->headers, "x-amz-request-id");
  if (rid) snprintf(a->request_id, sizeof a->request_id, "%s", rid);
}

/* Retry-After: delta seconds or an HTTP date. */
static void fill_retry_after(struct orch_aws_client *c, struct orch_aws_error *a, const struct orch_http_response *resp) {
  const char *ra = orch_http_headers_get(&resp->headers, "Retry-After");
  if (!ra) return;
  long long secs;
  int64_t at;
  if (orch_str_to_ll(ra, 0, 86400, &secs) == 0) a->retry_after_ms = secs * 1000;
  else if (orch_time_parse_rfc1123(ra, &at) == 0) {
    int64_t d = at - orch_clock_now_ms(c->clock);
    a->retry_after_ms = d > 0 ? d : 0;
  }
}

/* ---- counters ---- */

static void record(struct orch_aws_client *c, const char *service, const char *operation, int attempts,
                   int throttles, bool failed, int64_t latency_ms) {
  pthread_mutex_lock(&c->mu);
  struct orch_aws_op_stats *s = NULL;
  for (size_t i = 0; i < c->nstats && !s; i++)
    if (strcmp(c->stats[i].service, service) == 0 && strcmp(c->stats[i].operation, operation) == 0) s = &c->stats[i];
  if (!s && c->nstats == c->capstats) {
    size_t cap = c->capstats ? c->capstats * 2 : 16;
    struct orch_aws_op_stats *grown = orch_realloc(c->stats, cap * sizeof *grown);
    if (grown) {
      c->stats = grown;
      c->capstats = cap;
    }
  }
  if (!s && c->nstats < c->capstats) {
    s = &c->stats[c->nstats++];
    memset(s, 0, sizeof *s);
    snprintf(s->service, sizeof s->service, "%s", service);
    snprintf(s->operation, sizeof s->operation, "%s", operation);
  }
  if (s) { /* counters are best effort: out of memory only loses them */
    s->calls++;
    s->attempts += (uint64_t)attempts;
    s->retries += attempts > 1 ? (uint64_t)(attempts - 1) : 0;
    s->throttles += (uint64_t)throttles;
    s->errors += failed;
    s->latency_ms_total += latency_ms;
    if (latency_ms > s->latency_ms_max) s->latency_ms_max = latency_ms;
  }
  pthread_mutex_unlock(&c->mu);
}

size_t orch_aws_client_stats(struct orch_aws_client *c, struct orch_aws_op_stats *out, size_t max) {
  pthread_mutex_lock(&c->mu);
  size_t n = c->nstats;
  for (size_t i = 0; i < n && i < max; i++) out[i] = c->stats[i];
  pthread_mutex_unlock(&c->mu);
  return n;
}

json_t *orch_aws_client_stats_json(struct orch_aws_client *c) {
  json_t *all = json_object();
  pthread_mutex_lock(&c->mu);
  for (size_t i = 0; all && i < c->nstats; i++) {
    const struct orch_aws_op_stats *s = &c->stats[i];
    char key[128];
    snprintf(key, sizeof key, "%s.%s", s->service, s->operation);
    json_t *o = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "calls", (json_int_t)s->calls, "attempts",
                          (json_int_t)s->attempts, "retries", (json_int_t)s->retries, "throttles",
                          (json_int_t)s->throttles, "errors", (json_int_t)s->errors, "latency_ms_total",
                          (json_int_t)s->latency_ms_total, "latency_ms_max", (json_int_t)s->latency_ms_max);
    if (!o || json_object_set_new(all, key, o)) {
      json_decref(all);
      all = NULL;
    }
  }
  pthread_mutex_unlock(&c->mu);
  return all;
}

/* ---- the call ---- */

static int find_operation(const char *service, const char *operation, const struct orch_aws_operation **op,
                          struct orch_aws_error *aerr, struct orch_error *err) {
  const struct orch_aws_service *svc = orch_aws_model_service(service ? service : "");
  if (!svc) {
    const char *near = orch_str_nearest(service ? service : "", orch_aws_model_service_names());
    aerr_set(aerr, CODE_UNKNOWN_OPERATION, 0, "unknown service '%s'%s%s%s", service ? service : "",
             near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return orch_error_set(err, ORCH_ENOTFOUND, "%s", aerr->message);
  }
  *op = orch_aws_model_operation(svc, operation ? operation : "");
  if (!*op) {
    const char *near = orch_aws_model_suggest_operation(svc, operation ? operation : "");
    aerr_set(aerr, CODE_UNKNOWN_OPERATION, 0, "unknown operation '%s' for service %s%s%s%s", operation ? operation : "",
             service, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return orch_error_set(err, ORCH_ENOTFOUND, "%s", aerr->message);
  }
  return 0;
}

/* Endpoint URL and Host header for `op`. The operation's host prefix (its model's hostPrefix with
 * labels from the input) applies to standard endpoints only: an override (the simulator, a proxy) is
 * used as given. */
static int resolve_target(struct orch_aws_client *c, const struct orch_aws_operation *op, const json_t *input,
                          struct orch_buf *url, struct orch_buf *host, struct orch_error *err) {
  const struct orch_aws_service *svc = orch_aws_operation_service(op);
  const char *prefix = orch_aws_service_endpoint_prefix(svc);
  struct orch_aws_endpoint_params ep = {.service_id = orch_aws_service_id(svc), .endpoint_prefix = prefix,
                                        .region = c->region, .explicit_url = c->endpoint_url,
                                        .profiles = c->profiles, .profile = c->profile};
  int rc = orch_aws_endpoint_resolve(&ep, url, err);
  if (rc) return rc;
  char hp[256];
  if ((rc = orch_aws_proto_host_prefix(op, input, hp, sizeof hp, err))) return rc;
  struct orch_buf standard = ORCH_BUF_INIT(512);
  const char *dns = orch_aws_partition_of(c->region)->dns_suffix;
  if (hp[0] && !orch_buf_printf(&standard, "https://%s.%s.%s", prefix, c->region, dns) &&
      strcmp(orch_buf_cstr(url), orch_buf_cstr(&standard)) == 0) {
    orch_buf_reset(url);
    rc = orch_buf_printf(url, "https://%s%s.%s.%s", hp, prefix, c->region, dns);
  }
  orch_buf_free(&standard);
  if (!rc) rc = orch_aws_endpoint_host(orch_buf_cstr(url), host);
  return rc ? orch_error_set(err, rc, "endpoint '%s': %s", orch_buf_cstr(url), orch_error_str(rc)) : 0;
}

/* The Host header for `url` (after S3 addressing moved the bucket into it). */
static int host_of(const struct orch_buf *url, struct orch_buf *host, struct orch_error *err) {
  orch_buf_reset(host);
  int rc = orch_aws_endpoint_host(orch_buf_cstr(url), host);
  return rc ? orch_error_set(err, rc, "endpoint '%s': %s", orch_buf_cstr(url), orch_error_str(rc)) : 0;
}

/* Operations sent without a signature: the model's authtype "none", and the STS calls whose whole
 * point is to obtain credentials (older models, Debian's among them, do not mark them). */
static bool is_unsigned(const struct orch_aws_operation *op) {
  const char *auth = orch_aws_operation_auth_type(op);
  if (auth && strcmp(auth, "none") == 0) return true;
  const char *svc = orch_aws_service_name(orch_aws_operation_service(op)), *name = orch_aws_operation_name(op);
  return strcmp(svc, "sts") == 0 &&
         (strcmp(name, "AssumeRoleWithWebIdentity") == 0 || strcmp(name, "AssumeRoleWithSAML") == 0);
}

static int transport_failure(int rc, const struct orch_error *terr, struct orch_aws_error *aerr) {
  const char *code = rc == ORCH_ETIMEDOUT ? ORCH_AWS_CODE_TIMEOUT : rc == ORCH_ETOOBIG ? CODE_TOO_LARGE
                     : rc == ORCH_ECONN   ? ORCH_AWS_CODE_CONNECTION
                                          : CODE_INTERNAL;
  aerr_set(aerr, code, 0, "%s", terr->message);
  orch_aws_error_classify(aerr);
  return rc;
}

/* A 2xx answer to a call made for its acknowledgement only: the service acted, whatever became of
 * storing or parsing the body. */
static bool acknowledged(bool want_output, int rc, const struct orch_http_response *resp) {
  return !want_output && (rc == 0 || rc == ORCH_ENOMEM) && resp->status >= 200 && resp->status < 300;
}

/* orch_aws_call, or orch_aws_call_ack when `output` is NULL. */
static int call(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                json_t **output, struct orch_aws_error *aerr, struct orch_error *err) {
  struct orch_aws_error local_aerr;
  struct orch_error local_err = {0};
  json_t *discard = NULL;
  if (!aerr) aerr = &local_aerr;
  if (!err) err = &local_err;
  aerr_set(aerr, "", 0, "%s", "");
  if (output) *output = NULL;
  const struct orch_aws_operation *op = NULL;
  struct orch_http_request req = {0};
  struct orch_http_response resp = {0};
  struct orch_buf url = ORCH_BUF_INIT(2048), host = ORCH_BUF_INIT(512);
  struct orch_aws_credentials cr;
  struct orch_aws_retry_call rcall = {0};
  int64_t t0 = orch_clock_mono_ns(c->clock);
  int attempts = 0, throttles = 0, rc;
  bool refreshed = false;
  memset(&cr, 0, sizeof cr);

  if ((rc = find_operation(service, operation, &op, aerr, err))) goto done;
  const struct orch_aws_service *svc = orch_aws_operation_service(op);
  const char *signing_name = orch_aws_service_signing_name(svc);
  bool sign = !is_unsigned(op);
  bool s3 = orch_aws_s3_is(svc);
  if ((rc = orch_aws_proto_build_request(op, input, &req, err))) {
    if (rc == ORCH_EVALIDATION) aerr_set(aerr, CODE_VALIDATION, 0, "%s%s%s", err->context, err->context[0] ? ": " : "", err->message);
    else aerr_set(aerr, CODE_INTERNAL, 0, "%s", err->message);
    goto done;
  }
  if ((rc = resolve_target(c, op, input, &url, &host, err)) ||
      (rc = orch_aws_s3_address(op, input, c->s3_path_style, &url, &req, err)) ||
      (rc = orch_aws_s3_is(svc) ? host_of(&url, &host, err) : 0)) {
    aerr_set(aerr, CODE_INTERNAL, 0, "%s", err->message);
    goto done;
  }
  if ((rc = orch_http_headers_set(&req.headers, "Host", orch_buf_cstr(&host)))) {
    aerr_set(aerr, CODE_INTERNAL, 0, "out of memory");
    orch_error_set(err, rc, "out of memory");
    goto done;
  }

  for (;;) {
    if (!c->no_ratelimit) {
      int64_t wait = orch_aws_ratelimit_reserve(c->rl, signing_name, c->region);
      if (wait < 0) {
        rc = orch_error_set(err, (int)wait, "rate limiter: %s", orch_error_str((int)wait));
        aerr_set(aerr, CODE_INTERNAL, 0, "%s", err->message);
        goto done;
      }
      if (wait > 0) c->sleep_ms(c->sleep_ctx, wait);
    }
    if (sign) {
      if ((rc = orch_aws_creds_get(c->creds, &cr, err))) {
        aerr_set(aerr, CODE_NO_CREDENTIALS, 0, "%s", err->message);
        goto done;
      }
      struct orch_sigv4_params sp = {.mode = ORCH_SIGV4_HEADER, .access_key_id = cr.access_key_id,
                                     .secret_access_key = cr.secret_access_key, .session_token = cr.session_token,
                                     .region = c->region, .service = signing_name,
                                     .time_ms = orch_clock_now_ms(c->clock), .cache = c->sigcache,
                                     /* S3: the payload hash header, and the path signed as sent */
                                     .sign_body = s3, .no_normalize = s3, .single_encode = s3};
      if ((rc = orch_sigv4_sign(&req, &sp, NULL, err))) {
        aerr_set(aerr, CODE_INTERNAL, 0, "%s", err->message);
        goto done;
      }
    }
    attempts++;
    rcall.attempts = attempts - (refreshed ? 1 : 0);
    struct orch_error terr = {0};
    rc = c->transport.ops->send(c->transport.ctx, orch_buf_cstr(&url), &req, &resp, &terr);
    if (acknowledged(output != NULL, rc, &resp)) {
      rc = 0;
      break;
    }
    if (rc) {
      transport_failure(rc, &terr, aerr);
      *err = terr;
    } else {
      rc = orch_aws_proto_parse_response(op, &resp, output ? output : &discard, aerr, err);
      json_decref(discard);
      discard = NULL;
      if (rc == 0) break;
      if (rc == ORCH_EAWS && looks_like_html(&resp)) rc = ORCH_EPARSE; /* a proxy's page, not an AWS error */
      if (rc == ORCH_EAWS) {
        fill_request_id(aerr, &resp);
        fill_retry_after(c, aerr, &resp);
        orch_aws_error_classify(aerr);
        if (aerr->throttling) throttles++;
        orch_aws_ratelimit_feedback(c->rl, signing_name, c->region, aerr->throttling, aerr->retry_after_ms);
        if (sign && is_expired_credentials(aerr->code, cr.session_token[0] != '\0', refreshed)) {
          orch_aws_creds_invalidate(c->creds);
          if (!refreshed) { /* new credentials, one more try, outside the retry budget */
            refreshed = true;
            continue;
          }
          rc = ORCH_ECREDS;
        } else if (is_clock_skew(aerr)) {
          skew_hint(c, &resp, aerr);
        }
      } else if (rc == ORCH_EPARSE) {
        bool html = looks_like_html(&resp);
        struct orch_strview b = orch_str_trim((struct orch_strview){orch_buf_cstr(&resp.body), resp.body.len});
        aerr_set(aerr, html ? CODE_NON_AWS : CODE_MALFORMED, resp.status, "%s (HTTP %d%s): %s; body starts: %.120s",
                 html ? "the response is not from AWS (an HTML page: a proxy or captive portal?)"
                      : "the response could not be parsed",
                 resp.status, html ? "" : ", truncated or not in the protocol's format", err->message, b.p ? b.p : "");
        fill_request_id(aerr, &resp);
        orch_aws_error_classify(aerr); /* a 502/503/504 page from a proxy is worth retrying */
      } else {
        aerr_set(aerr, CODE_INTERNAL, resp.status, "%s", err->message);
        goto done;
      }
    }
    int64_t delay = 0;
    if (!orch_aws_retry_next(c->retry, &rcall, aerr, &delay)) {
      if (rcall.quota_empty) {
        size_t n = strlen(aerr->message);
        snprintf(aerr->message + n, sizeof aerr->message - n, " (retry quota exhausted)");
      }
      break;
    }
    orch_log_debug("aws %s.%s attempt %d failed (%s, HTTP %d); retrying in %lld ms", service, operation, attempts,
                   aerr->code, aerr->http_status, (long long)delay);
    c->sleep_ms(c->sleep_ctx, delay);
  }
  if (rc == 0) {
    orch_aws_retry_success(c->retry, &rcall);
    orch_aws_ratelimit_feedback(c->rl, signing_name, c->region, false, -1);
    aerr_set(aerr, "", resp.status, "%s", "");
  } else {
    orch_error_set(err, rc, "%s %s: %s%s(HTTP %d%s%s%s): %s", service, operation, aerr->code, aerr->code[0] ? " " : "",
                   aerr->http_status, aerr->request_id[0] ? ", request id " : "", aerr->request_id,
                   attempts > 1 ? ", after retries" : "", aerr->message);
  }
done:
  if (rc && output) {
    json_decref(*output);
    *output = NULL;
  }
  record(c, service ? service : "", operation ? operation : "", attempts, throttles, rc != 0,
         (orch_clock_mono_ns(c->clock) - t0) / 1000000);
  orch_aws_credentials_clear(&cr);
  orch_http_request_free(&req);
  orch_http_response_free(&resp);
  orch_buf_free(&url);
  orch_buf_free(&host);
  return rc;
}

int orch_aws_call(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                  json_t **output, struct orch_aws_error *aerr, struct orch_error *err) {
  if (!output) return orch_error_set(err, ORCH_EINVAL, "orch_aws_call: output is NULL (use orch_aws_call_ack)");
  return call(c, service, operation, input, output, aerr, err);
}

int orch_aws_call_ack(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                      struct orch_aws_error *aerr, struct orch_error *err) {
  return call(c, service, operation, input, NULL, aerr, err);
}

/* ---- pagination ---- */

/* The member at a dotted path ("NextToken", "Result.NextToken") of obj, or NULL. */
static json_t *path_get(json_t *obj, const char *path) {
  char seg[128];
  while (obj && *path) {
    size_t n = strcspn(path, ".");
    if (n >= sizeof seg) return NULL;
    memcpy(seg, path, n);
    seg[n] = '\0';
    obj = json_object_get(obj, seg);
    path += n + (path[n] == '.');
  }
  return obj;
}

static bool token_present(const json_t *t) {
  return t && !json_is_null(t) && !(json_is_string(t) && json_string_length(t) == 0);
}

int orch_aws_paginate(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                      json_t **output, struct orch_aws_error *aerr, struct orch_error *err) {
  const struct orch_aws_operation *op = NULL;
  struct orch_aws_error local_aerr;
  struct orch_aws_paginator pg;
  if (!aerr) aerr = &local_aerr;
  *output = NULL;
  int rc = find_operation(service, operation, &op, aerr, err);
  if (rc) return rc;
  if (!orch_aws_operation_paginator(op, &pg)) return orch_aws_call(c, service, operation, input, output, aerr, err);
  json_t *in = input ? json_deep_copy(input) : json_object();
  json_t *merged = NULL, *page = NULL, *last_tokens = NULL;
  if (!in) return orch_error_set(err, ORCH_ENOMEM, "out of memory");
  for (size_t pages = 0;; pages++) {
    if (pages >= c->max_pages) {
      rc = orch_error_set(err, ORCH_ELIMIT, "%s %s: more than %zu pages; stopping", service, operation, c->max_pages);
      aerr_set(aerr, CODE_INTERNAL, 0, "%s", err->message);
      break;
    }
    if ((rc = orch_aws_call(c, service, operation, in, &page, aerr, err))) break;
    if (!merged) {
      merged = page;
      page = NULL;
    } else {
      for (size_t k = 0; pg.result_keys && pg.result_keys[k]; k++) {
        json_t *dst = path_get(merged, pg.result_keys[k]), *src = path_get(page, pg.result_keys[k]);
        if (json_is_array(dst) && json_is_array(src) && json_array_extend(dst, src)) rc = ORCH_ENOMEM;
        else if (!dst && json_is_array(src) && !strchr(pg.result_keys[k], '.') &&
                 json_object_set(merged, pg.result_keys[k], src))
          rc = ORCH_ENOMEM;
      }
      /* Everything else (counts, metadata) from the newest page. */
      const char *key;
      json_t *v;
      json_object_foreach(page, key, v) {
        bool is_result = false;
        for (size_t k = 0; pg.result_keys && pg.result_keys[k] && !is_result; k++)
          is_result = strcmp(pg.result_keys[k], key) == 0;
        if (!is_result && json_object_set(merged, key, v)) rc = ORCH_ENOMEM;
      }
      if (rc) {
        orch_error_set(err, rc, "out of memory merging pages");
        break;
      }
    }
    json_t *cur = page ? page : merged;
    json_t *tokens = json_array();
    bool more = false;
    for (size_t k = 0; tokens && pg.output_tokens && pg.output_tokens[k]; k++) {
      json_t *t = path_get(cur, pg.output_tokens[k]);
      more = more || token_present(t);
      if (json_array_append(tokens, t ? t : json_null())) more = false;
    }
    json_decref(page);
    page = NULL;
    if (!tokens) {
      rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
      break;
    }
    if (!more) {
      json_decref(tokens);
      break;
    }
    if (last_tokens && json_equal(last_tokens, tokens)) {
      json_decref(tokens);
      rc = orch_error_set(err, ORCH_EAWS, "%s %s: the service returned the same page token twice; stopping", service,
                          operation);
      aerr_set(aerr, CODE_MALFORMED, 0, "%s", err->message);
      break;
    }
    json_decref(last_tokens);
    last_tokens = tokens;
    for (size_t k = 0; pg.input_tokens && pg.input_tokens[k] && !rc; k++) {
      json_t *t = json_array_get(tokens, k);
      if (!token_present(t)) json_object_del(in, pg.input_tokens[k]);
      else if (json_object_set(in, pg.input_tokens[k], t)) rc = orch_error_set(err, ORCH_ENOMEM, "out of memory");
    }
    if (rc) break;
  }
  if (!rc && merged) {
    for (size_t k = 0; pg.output_tokens && pg.output_tokens[k]; k++)
      if (!strchr(pg.output_tokens[k], '.')) json_object_del(merged, pg.output_tokens[k]);
    *output = merged;
    merged = NULL;
  }
  json_decref(merged);
  json_decref(page);
  json_decref(last_tokens);
  json_decref(in);
  return rc;
}
