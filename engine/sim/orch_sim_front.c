/* orch_sim_front: one AWS request through the simulator: which service (SigV4 scope, else the request's
 * shape), SigV4 verification against the world's credentials (errors as each protocol writes them),
 * protocol decoding, the call record, faults (throttling, errors, latency), the handler under the world
 * mutex, and the protocol response. Uses orch_sigv4, orch_aws_proto, orch_aws_model, orch_sim_ops,
 * orch_sim_faults, orch_clock. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_model_shape.h"
#include "aws/orch_aws_proto.h"
#include "core/orch_log.h"
#include "core/orch_str.h"
#include "sim/orch_sim_int.h"
#include "sim/orch_sim_ops.h"

/* Signing names the simulator answers, and their model names. */
static const struct {
  const char *signing, *model;
  const char *throttle_code;
  int throttle_status;
  const char *internal_code;
} services[] = {
    {"drs", "drs", "ThrottlingException", 429, "InternalServerException"},
    {"ec2", "ec2", "RequestLimitExceeded", 503, "InternalError"},
    {"ssm", "ssm", "ThrottlingException", 400, "InternalServerError"},
    {"sns", "sns", "Throttled", 429, "InternalError"},
    {"sts", "sts", "Throttling", 400, "InternalFailure"},
    {"servicequotas", "service-quotas", "TooManyRequestsException", 400, "ServiceException"},
    {"s3", "s3", "SlowDown", 503, "InternalError"},
    {"cloudfront", "cloudfront", "Throttling", 400, "InternalError"},
};
#define NSERVICES (sizeof services / sizeof services[0])

static int service_index(const char *signing) {
  for (size_t i = 0; i < NSERVICES; i++)
    if (strcmp(services[i].signing, signing) == 0) return (int)i;
  return -1;
}

/* Without a usable signature: guess the service from the request, to answer in its protocol. */
static int guess_service(const struct orch_http_request *req) {
  const char *target = orch_http_headers_get(&req->headers, "X-Amz-Target");
  if (target) {
    if (orch_str_starts_with(target, "AmazonSSM")) return service_index("ssm");
    if (orch_str_starts_with(target, "ServiceQuotas")) return service_index("servicequotas");
  }
  const char *body = orch_buf_cstr(&req->body);
  const char *q = req->query ? req->query : "";
  if (req->path && strncmp(req->path, "/2020-05-31/distribution", 24) == 0) return service_index("cloudfront");
  if (orch_http_headers_get(&req->headers, "x-amz-content-sha256")) return service_index("s3");
  if (strstr(body, "Action=") || strstr(q, "Action=")) {
    if (strstr(body, "Version=2010-03-31") || strstr(q, "Version=2010-03-31")) return service_index("sns");
    if (strstr(body, "Version=2011-06-15") || strstr(q, "Version=2011-06-15")) return service_index("sts");
    return service_index("ec2");
  }
  return service_index("drs");
}

struct lookup_ctx {
  struct orch_sim *sim;
};

static int lookup_secret(void *ctx, const char *akid, struct orch_buf *secret, struct orch_buf *token) {
  struct lookup_ctx *l = ctx;
  int rc = ORCH_ENOTFOUND;
  pthread_mutex_lock(&l->sim->mu);
  const struct orch_sim_credential *c = orch_sim_world_credential(l->sim->world, akid);
  if (c) {
    rc = orch_buf_puts(secret, c->secret);
    if (!rc && c->session_token) rc = orch_buf_puts(token, c->session_token);
  }
  pthread_mutex_unlock(&l->sim->mu);
  return rc;
}

/* S3's own authentication errors. */
static void s3_auth_error(int code, bool missing, const char *detail, struct orch_aws_error *aerr) {
  if (code == ORCH_ECREDS)
    orch_sim_fail(aerr, 403, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.");
  else if (code == ORCH_ESIGNATURE && strstr(detail, "x-amz-content-sha256"))
    orch_sim_fail(aerr, 400, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  else if (code == ORCH_ESIGNATURE)
    orch_sim_fail(aerr, 403, "SignatureDoesNotMatch",
                  "The request signature we calculated does not match the signature you provided. Check your key and "
                  "signing method.");
  else if (code == ORCH_ERANGE)
    orch_sim_fail(aerr, 403, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large.");
  else if (missing) orch_sim_fail(aerr, 403, "AccessDenied", "Access Denied");
  else orch_sim_fail(aerr, 400, "AuthorizationHeaderMalformed", "%s", detail);
}

/* The error each protocol family returns for a failed authentication. `missing`: no signature at all. */
static void auth_error(int svc, int code, bool missing, const char *detail, struct orch_aws_error *aerr) {
  if (strcmp(services[svc].signing, "s3") == 0) return s3_auth_error(code, missing, detail, aerr);
  enum { REST_JSON_OR_JSON, QUERY, EC2 } fam =
      strcmp(services[svc].signing, "ec2") == 0 ? EC2
      : (strcmp(services[svc].signing, "sns") == 0 || strcmp(services[svc].signing, "sts") == 0 ||
         strcmp(services[svc].signing, "cloudfront") == 0) ? QUERY
                                                            : REST_JSON_OR_JSON;
  static const char mismatch[] =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
      "Key and signing method. Consult the service documentation for details.";
  static const char badtoken[] = "The security token included in the request is invalid.";
  switch (code) {
    case ORCH_ECREDS:
      if (fam == EC2) orch_sim_fail(aerr, 401, "AuthFailure", "AWS was not able to validate the provided access credentials");
      else if (fam == QUERY) orch_sim_fail(aerr, 403, "InvalidClientTokenId", badtoken);
      else orch_sim_fail(aerr, 403, "UnrecognizedClientException", badtoken);
      break;
    case ORCH_ESIGNATURE:
      if (fam == REST_JSON_OR_JSON) orch_sim_fail(aerr, 403, "InvalidSignatureException", mismatch);
      else orch_sim_fail(aerr, 403, "SignatureDoesNotMatch", mismatch);
      break;
    case ORCH_ERANGE:
      if (fam == EC2) orch_sim_fail(aerr, 400, "RequestExpired", "Request has expired. %s", detail);
      else if (fam == QUERY) orch_sim_fail(aerr, 403, "SignatureDoesNotMatch", "Signature expired: %s", detail);
      else orch_sim_fail(aerr, 403, "InvalidSignatureException", "Signature expired: %s", detail);
      break;
    default:
      if (missing && fam == QUERY)
        orch_sim_fail(aerr, 403, "MissingAuthenticationToken", "Request is missing Authentication Token");
      else if (missing && fam == REST_JSON_OR_JSON)
        orch_sim_fail(aerr, 403, "MissingAuthenticationTokenException", "Missing Authentication Token");
      else if (fam == EC2) orch_sim_fail(aerr, 401, "AuthFailure", "%s", detail);
      else if (fam == QUERY) orch_sim_fail(aerr, 403, "IncompleteSignature", "%s", detail);
      else orch_sim_fail(aerr, 403, "IncompleteSignatureException", "%s", detail);
      break;
  }
}

/* Expired temporary credentials, as each service says it: the query services (STS, SNS) ExpiredToken, the
 * JSON ones (DRS, SSM, Service Quotas) ExpiredTokenException, EC2 RequestExpired. */
static void expired_error(int svc, struct orch_aws_error *aerr) {
  static const char msg[] = "The security token included in the request is expired";
  const char *s = services[svc].signing;
  if (strcmp(s, "ec2") == 0) orch_sim_fail(aerr, 400, "RequestExpired", "Request has expired.");
  else if (strcmp(s, "s3") == 0) orch_sim_fail(aerr, 400, "ExpiredToken", "The provided token has expired.");
  else if (strcmp(s, "sns") == 0 || strcmp(s, "sts") == 0) orch_sim_fail(aerr, 403, "ExpiredToken", msg);
  else orch_sim_fail(aerr, 403, "ExpiredTokenException", msg);
}

/* The error in the service's protocol, with the handler's modeled extra members (quotaCode,
 * resourceId...) when it set any. */
static int write_error(const struct orch_aws_service *model, struct orch_aws_error *aerr, const json_t *fields,
                       struct orch_http_response *resp) {
  struct orch_error e = {0};
  int rc = orch_aws_proto_build_error_ex(model, aerr, fields, resp, &e);
  if (rc) orch_log_error("sim: cannot write %s error: %s", aerr->code, e.message);
  return rc;
}


int orch_sim_front_handle(struct orch_sim *sim, const struct orch_http_request *req, struct orch_http_response *resp) {
  struct orch_aws_error aerr = {.retry_after_ms = -1};
  struct orch_sigv4_verified who = {0};
  struct orch_error verr = {0};
  struct lookup_ctx lctx = {.sim = sim};
  struct orch_sigv4_verify_params vp = {.lookup = lookup_secret, .lookup_ctx = &lctx,
                                        .now_ms = orch_clock_now_ms(orch_clock_real()), .cache = sim->sigcache};
  const struct orch_aws_operation *op = NULL;
  json_t *input = NULL, *output = NULL, *fields = NULL;
  int rc = 0;

  /* S3 signs its path as sent and its payload hash (x-amz-content-sha256). */
  const char *auth = orch_http_headers_get(&req->headers, "Authorization");
  vp.no_normalize = vp.single_encode = (auth && strstr(auth, "/s3/aws4_request")) ||
                                       (req->query && strstr(req->query, "%2Fs3%2Faws4_request"));
  int vrc = orch_sigv4_verify(req, &vp, &who, &verr);
  int svc = who.service[0] ? service_index(who.service) : -1;
  if (svc < 0) svc = guess_service(req);
  const struct orch_aws_service *model = orch_aws_model_service(services[svc].model);
  if (!model) {
    orch_log_error("sim: service model %s is not embedded", services[svc].model);
    return ORCH_EINTERNAL;
  }
  if (vrc) {
    bool missing = !orch_http_headers_get(&req->headers, "Authorization") && !strstr(req->query ? req->query : "", "X-Amz-Signature=");
    auth_error(svc, vrc, missing, verr.message, &aerr);
    return write_error(model, &aerr, NULL, resp);
  }
  if (who.service[0] && service_index(who.service) < 0) {
    orch_sim_fail(&aerr, 400, "UnknownServiceException", "The simulator does not offer service '%s'", who.service);
    return write_error(model, &aerr, NULL, resp);
  }
  /* S3: a virtual-hosted request is routed as its path-style form; bodies must match their checksums. */
  struct orch_http_request routed = *req;
  char s3path[4096];
  bool s3 = strcmp(services[svc].signing, "s3") == 0;
  if (s3) {
    int r = orch_sim_s3_route(req, s3path, sizeof s3path);
    if (r < 0) {
      orch_sim_fail(&aerr, 400, "KeyTooLongError", "Your key is too long");
      return write_error(model, &aerr, NULL, resp);
    }
    if (r > 0) routed.path = s3path;
  }
  if (orch_aws_proto_parse_request(model, &routed, &op, &input, &aerr)) return write_error(model, &aerr, NULL, resp);
  if (s3 && orch_sim_s3_check_checksum(req, op->checksum_required, &aerr)) {
    json_decref(input);
    return write_error(model, &aerr, NULL, resp);
  }
  if (!input && !(input = json_object())) return ORCH_ENOMEM;
  const char *opname = orch_aws_operation_name(op);
  orch_sim_handler fn = orch_sim_ops_find(services[svc].signing, opname);

  pthread_mutex_lock(&sim->mu);
  struct orch_sim_world *w = sim->world;
  const struct orch_sim_credential *cred = orch_sim_world_credential(w, who.access_key_id);
  struct orch_sim_op_fault f = orch_sim_faults_lookup(&w->faults, services[svc].signing, opname);
  int64_t now = orch_clock_now_ms(orch_vclock_clock(sim->vclock));
  orch_sim_calls_count(&w->calls, services[svc].signing, opname, "calls");
  /* Temporary credentials past their Expiration (sim time) are refused before anything else. */
  bool expired = cred && cred->expires_ms != ORCH_SIM_NEVER && now >= cred->expires_ms;
  bool throttled = !expired && orch_sim_rng_chance(&w->fault_rng, f.throttle);
  bool failed = !expired && !throttled && orch_sim_rng_chance(&w->fault_rng, f.error);
  if (expired) {
    expired_error(svc, &aerr);
    rc = ORCH_EAWS;
  } else if (throttled) {
    orch_sim_calls_count(&w->calls, services[svc].signing, opname, "throttled");
    orch_sim_fail(&aerr, services[svc].throttle_status, services[svc].throttle_code, "Rate exceeded");
    aerr.throttling = true;
    aerr.retry_after_ms = strcmp(services[svc].signing, "drs") == 0 ? 1000 : -1;
    if (strcmp(services[svc].signing, "drs") == 0) {
      fields = json_pack("{s:s, s:s}", "serviceCode", "drs", "retryAfterSeconds", "1");
    }
    rc = ORCH_EAWS;
  } else if (failed) {
    orch_sim_calls_count(&w->calls, services[svc].signing, opname, "errors");
    orch_sim_fail(&aerr, 500, services[svc].internal_code, "Simulated internal error");
    rc = ORCH_EAWS;
  } else if (!fn || !cred) {
    orch_sim_fail(&aerr, 400, strcmp(services[svc].signing, "ec2") == 0 ? "InvalidAction" : "UnknownOperationException",
                  "The simulator does not implement %s:%s", services[svc].signing, opname);
    rc = ORCH_EAWS;
  } else {
    struct orch_sim_env *env = orch_sim_world_env(w, cred->account, who.region);
    struct orch_sim_call call = {.w = w, .env = env, .cred = cred, .now = now};
    if (!env) {
      rc = orch_sim_fail(&aerr, 500, services[svc].internal_code, "out of memory");
    } else {
      rc = fn(&call, input, &output, &aerr);
      if (rc && rc != ORCH_EAWS) rc = orch_sim_fail(&aerr, 500, services[svc].internal_code, "Internal error");
      fields = call.error_fields;
    }
  }
  pthread_mutex_unlock(&sim->mu);
  /* Latency on the sim's clock (a discrete-event clock jumps over it); a frozen clock, which only a test's
   * hand moves, cannot pass it, so there it takes real time. */
  if (orch_vclock_discrete(sim->vclock) || orch_vclock_speed(sim->vclock) > 0)
    orch_clock_sleep_ms(orch_vclock_clock(sim->vclock), f.latency_ms);
  else
    orch_clock_sleep_ms(orch_clock_real(), f.latency_ms);

  if (rc == ORCH_EAWS) {
    rc = write_error(model, &aerr, fields, resp);
  } else {
    struct orch_error e = {0};
    rc = orch_aws_proto_build_response(op, output, resp, &e);
    if (rc) {
      /* A handler answer the model rejects is a simulator bug: say so loudly, answer 500. */
      orch_log_error("sim: %s:%s response does not fit the model: %s (%s)", services[svc].signing, opname, e.message,
                     e.context);
      orch_sim_fail(&aerr, 500, services[svc].internal_code, "simulator response invalid: %s", e.message);
      orch_http_headers_free(&resp->headers);
      orch_buf_reset(&resp->body);
      rc = write_error(model, &aerr, NULL, resp);
    }
  }
  if (strcmp(req->method, "HEAD") == 0) orch_buf_reset(&resp->body); /* HEAD answers carry no body */
  json_decref(input);
  json_decref(output);
  json_decref(fields);
  return rc;
}
