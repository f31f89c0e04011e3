/* orch_sim_ops: the contract between the simulator's front (wire protocols, SigV4, faults) and its
 * service handlers: a call context (world, the caller's account+region, sim time), the handler
 * signature (model-shaped JSON in, model-shaped JSON out, or an AWS error), the per-service handler
 * tables, and helpers every handler uses (errors, pagination, filters). Uses orch_sim_world,
 * orch_aws_error, jansson. */
#ifndef ORCH_SIM_OPS_H
#define ORCH_SIM_OPS_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/orch_aws_error.h"
#include "aws/orch_http.h"
#include "core/orch_error.h"
#include "sim/orch_sim_world.h"

/* One call, as the front hands it to a handler. */
struct orch_sim_call {
  struct orch_sim_world *w;
  struct orch_sim_env *env;                /* the caller's account + the signing region */
  const struct orch_sim_credential *cred;  /* the verified caller */
  int64_t now;                             /* sim time of the call */
  /* Extra members of a rest-json error body (quotaCode, resourceId...): a handler may set an object
   * here when it fails; the front merges it into the error it writes. The front owns it. */
  json_t *error_fields;
};

/* A handler reads `in` (never NULL; {} when the request had no body) and sets *out (an object the front
 * owns) or fails: returns ORCH_EAWS with `aerr` filled (code, message, http_status), or another negative
 * code for an internal failure (the front answers InternalServerError). */
typedef int (*orch_sim_handler)(struct orch_sim_call *c, const json_t *in, json_t **out,
                                struct orch_aws_error *aerr);

struct orch_sim_op {
  const char *name; /* model operation name */
  orch_sim_handler fn;
};

/* NULL-terminated tables, one per service. */
extern const struct orch_sim_op orch_sim_drs_ops[];
extern const struct orch_sim_op orch_sim_ec2_ops[];
extern const struct orch_sim_op orch_sim_ssm_ops[];
extern const struct orch_sim_op orch_sim_sns_ops[];
extern const struct orch_sim_op orch_sim_sts_ops[];
extern const struct orch_sim_op orch_sim_quotas_ops[];
extern const struct orch_sim_op orch_sim_s3_ops[];
extern const struct orch_sim_op orch_sim_cloudfront_ops[];

/* Scenario parts the S3 and CloudFront files own. buckets: region `r`'s "buckets" (path names `r`);
 * distributions: account `a`'s "distributions". Errors name the JSON path. */
int orch_sim_s3_scenario(struct orch_sim_world *w, struct orch_sim_env *env, const json_t *r, const char *path,
                         struct orch_error *err) ORCH_MUST_CHECK;
int orch_sim_cloudfront_scenario(struct orch_sim_account *acc, const json_t *a, const char *path,
                                 struct orch_error *err) ORCH_MUST_CHECK;
/* The bucket named `name` anywhere in the world (bucket names are global), with its env, or NULL. */
struct orch_sim_bucket *orch_sim_s3_find_bucket(const struct orch_sim_world *w, const char *name,
                                                struct orch_sim_env **env);
/* S3 virtual-hosted requests (Host "<bucket>.s3.<region>.amazonaws.com", "<bucket>.s3.amazonaws.com" or
 * "<bucket>.localhost[:port]"): the path-style path ("/<bucket>" + the path) into `out`; a path-style
 * "/<bucket>/" becomes "/<bucket>". 1 when rewritten, 0 when the path stands, ORCH_ETOOBIG when it does not fit. */
int orch_sim_s3_route(const struct orch_http_request *req, char *out, size_t outsz);
/* S3's integrity checks of a request body: Content-MD5 and x-amz-checksum-{crc32,crc32c,sha1,sha256} are
 * verified when present; `required` (DeleteObjects) demands one. 0, or ORCH_EAWS with aerr filled. */
int orch_sim_s3_check_checksum(const struct orch_http_request *req, bool required, struct orch_aws_error *aerr)
    ORCH_MUST_CHECK;

/* The handler for `service` (signing name: "drs", "ec2", "ssm", "sns", "sts", "servicequotas") and
 * operation, or NULL. */
orch_sim_handler orch_sim_ops_find(const char *service, const char *operation);

/* Fill `aerr` and return ORCH_EAWS. */
int orch_sim_fail(struct orch_aws_error *aerr, int status, const char *code, const char *fmt, ...)
    ORCH_PRINTF(4, 5);

/* Pagination over an index space: `token` (NULL or "") is the opaque NextToken the previous page gave.
 * Decodes into *start; a token this simulator did not issue is an error (fills aerr with `bad_code`,
 * status 400). */
int orch_sim_page_start(const char *token, size_t *start, const char *bad_code, struct orch_aws_error *aerr)
    ORCH_MUST_CHECK;
/* Set `key` of `out` to the token for resuming at `next` (a string). */
int orch_sim_page_token(json_t *out, const char *key, size_t next) ORCH_MUST_CHECK;

/* One page of a listing whose matches are counted in order: `start` and `max` from the request, `items`
 * the page's array (a member of `res`), `token_key` the member of `res` that carries the next token. */
struct orch_sim_page {
  json_t *res, *items;
  const char *token_key;
  size_t start, max, matched;
  bool done; /* stop listing: past the page (the next token is set), or failed */
  int err;   /* ORCH_ENOMEM once anything failed */
};
/* Count one more match: true when it is on the page (append it: orch_sim_page_add); false before the
 * page, and past it, where it sets the next token and `done`. */
bool orch_sim_page_take(struct orch_sim_page *p);
/* Append `item` (taken; NULL counts as out of memory) to the page's items. */
void orch_sim_page_add(struct orch_sim_page *p, json_t *item);
/* The listing's end: 0 with *out = res, or `err` with res freed. */
int orch_sim_page_end(struct orch_sim_page *p, json_t **out) ORCH_MUST_CHECK;

/* Is `s` one of the strings of JSON array `arr`? (NULL arr: yes) */
bool orch_sim_in_list(const json_t *arr, const char *s);
/* The string member `key` of `in`, or NULL. */
const char *orch_sim_str(const json_t *in, const char *key);
/* An ISO-8601 string of `ms` as a new JSON string. */
json_t *orch_sim_time_json(int64_t ms);

#endif
