/* orch_aws_client: the one AWS request pipeline. A call names a service and an operation and passes
 * JSON input; the client finds the model, validates and serialises the input, resolves the endpoint,
 * signs with SigV4, sends through the transport, parses the response, classifies errors, retries in
 * the standard mode and paces requests with the per service+region rate limiter. It keeps counters
 * per operation (calls, retries, throttles, errors, latency). Thread-safe: one client serves many
 * threads. Uses orch_aws_model, orch_aws_proto, orch_sigv4, orch_aws_creds, orch_aws_endpoint,
 * orch_aws_retry, orch_aws_ratelimit, orch_aws_curl (default transport), orch_clock, jansson. */
#ifndef ORCH_AWS_CLIENT_H
#define ORCH_AWS_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aws/orch_aws_creds.h"
#include "aws/orch_aws_error.h"
#include "aws/orch_aws_profile.h"
#include "aws/orch_aws_ratelimit.h"
#include "aws/orch_aws_retry.h"
#include "aws/orch_http.h"
#include "core/orch_clock.h"
#include "core/orch_error.h"

#define ORCH_AWS_CLIENT_MAX_PAGES 1000

struct orch_aws_client_config {
  const char *region;                /* required: resolve it with orch_aws_region_resolve */
  struct orch_aws_creds *creds;      /* borrowed, required (an operation with authtype "none" is unsigned) */
  const char *endpoint_url;          /* explicit endpoint for every service (--endpoint-url, aws.endpoint_url) */
  const struct orch_aws_profiles *profiles; /* borrowed, optional: profile endpoint_url / services */
  const char *profile;               /* the profile name those come from */
  struct orch_http_transport *transport; /* borrowed; NULL = a libcurl transport owned by the client */
  const struct orch_clock *clock;    /* NULL = real; signing time, latency, rate limiting */
  void (*sleep_ms)(void *ctx, int64_t ms); /* backoff and pacing; NULL = orch_clock_sleep_ms on `clock` */
  void *sleep_ctx;
  struct orch_aws_retry_config retry;
  struct orch_aws_ratelimit_config ratelimit;
  bool no_ratelimit;                 /* disable client-side pacing (feedback is still recorded) */
  bool s3_path_style;                /* S3: always /bucket/key (else virtual-hosted where the bucket allows) */
  size_t max_pages;                  /* orch_aws_paginate guard; 0 = ORCH_AWS_CLIENT_MAX_PAGES */
};

struct orch_aws_client;

/* Strings in cfg are copied. Caller frees with orch_aws_client_free (accepts NULL). */
int orch_aws_client_new(const struct orch_aws_client_config *cfg, struct orch_aws_client **out,
                        struct orch_error *err) ORCH_MUST_CHECK;
void orch_aws_client_free(struct orch_aws_client *c);
const char *orch_aws_client_region(const struct orch_aws_client *c);

/* Call one operation. `service` is the botocore name ("drs", "sts", "service-quotas"); `input` may be
 * NULL for none. On success *output is the parsed result (caller owns; json_decref). On failure
 * returns a negative code, fills err with one line for humans and, when `aerr` is non-NULL, the
 * structured error (code, message, status, request id, retryable, throttling, retry_after):
 *   ORCH_ENOTFOUND   unknown service or operation (with the nearest name)
 *   ORCH_EVALIDATION input does not match the model (err->context is the member path)
 *   ORCH_EAWS        the service returned an error (aerr->code "ThrottlingException", ...)
 *   ORCH_ECREDS      no credentials, or the service rejected them as expired (ExpiredToken; after
 *                    one refresh and retry)
 *   ORCH_EPARSE      the response was not what the protocol expects (truncated XML/JSON, an HTML page
 *                    from a proxy): aerr->code "MalformedResponse" or "NonAwsResponse"
 *   ORCH_ECONN / ORCH_ETIMEDOUT / ORCH_ETOOBIG   transport failures after retries
 * A response saying the signature or time is off (RequestTimeTooSkewed, SignatureDoesNotMatch with a
 * time complaint, InvalidSignatureException "Signature expired") gets a message about clock skew. */
int orch_aws_call(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                  json_t **output, struct orch_aws_error *aerr, struct orch_error *err) ORCH_MUST_CHECK;

/* orch_aws_call for a write whose answer the caller needs only as an acknowledgement (DynamoDB's
 * conditional writes, which a store commits with): a 2xx status is success even when storing or parsing
 * the response runs out of memory after the service has acted, so the caller never reports a failure
 * for a write that took effect. Errors are as for orch_aws_call; a 2xx body is not parsed, so use it
 * only with protocols whose 2xx answers are successes (the JSON protocols). */
int orch_aws_call_ack(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                      struct orch_aws_error *aerr, struct orch_error *err) ORCH_MUST_CHECK;

/* Call a paginated operation until its output token is empty, concatenating every page's result-key
 * arrays into one output (other members come from the last page; the output token is removed). An
 * operation without a paginator is one call. Pages past cfg.max_pages are ORCH_ELIMIT. */
int orch_aws_paginate(struct orch_aws_client *c, const char *service, const char *operation, const json_t *input,
                      json_t **output, struct orch_aws_error *aerr, struct orch_error *err) ORCH_MUST_CHECK;

struct orch_aws_op_stats {
  char service[32];
  char operation[64];
  uint64_t calls;      /* orch_aws_call invocations */
  uint64_t attempts;   /* HTTP requests sent */
  uint64_t retries;
  uint64_t throttles;  /* throttling responses */
  uint64_t errors;     /* calls that failed in the end */
  int64_t latency_ms_total; /* whole call, retries and waits included */
  int64_t latency_ms_max;
};

/* A snapshot of the per-operation counters: up to `max` entries into out; returns how many exist. */
size_t orch_aws_client_stats(struct orch_aws_client *c, struct orch_aws_op_stats *out, size_t max);
/* The same as JSON: {"drs.DescribeJobs": {"calls":..,...}, ...}. Caller owns. NULL when out of memory. */
json_t *orch_aws_client_stats_json(struct orch_aws_client *c);

/* The structured error as JSON {"code","message","http_status","request_id","retryable","throttling",
 * "retry_after_ms"} (retry_after_ms only when known). Caller owns. */
json_t *orch_aws_error_to_json(const struct orch_aws_error *e);

#endif
