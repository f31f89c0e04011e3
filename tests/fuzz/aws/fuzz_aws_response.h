/* fuzz_aws_response: what the response fuzz targets share: pick one of six operations by a byte, and
 * run a response through the client's parsers, aborting on any outcome but a clean one.
 * Uses orch_aws_model, orch_aws_proto. */
#ifndef FUZZ_AWS_RESPONSE_H
#define FUZZ_AWS_RESPONSE_H

#include <stdint.h>
#include <stdlib.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"

/* Operation ops[b % 6] ({service, operation} pairs); aborts when the model lacks it. */
static inline const struct orch_aws_operation *fuzz_aws_pick(const char *const ops[6][2], uint8_t b) {
  const char *const *pick = ops[b % 6];
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service(pick[0]), pick[1]);
  if (!op) abort();
  return op;
}

/* parse_response, and parse_error_details on an error: 0 / ORCH_EAWS / ORCH_EPARSE / ORCH_ETOOBIG only,
 * output exactly on success, details on every modeled error. Frees `resp`. */
static inline void fuzz_aws_parse_response(const struct orch_aws_operation *op, struct orch_http_response *resp) {
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  int rc = orch_aws_proto_parse_response(op, resp, &out, &aerr, &err);
  if (rc != 0 && rc != ORCH_EAWS && rc != ORCH_EPARSE && rc != ORCH_ETOOBIG) abort();
  if ((rc == 0) != (out != NULL)) abort();
  json_decref(out);
  if (rc == ORCH_EAWS) {
    json_t *details = NULL;
    if (orch_aws_proto_parse_error_details(op, resp, &details, &err) == 0 && !details) abort();
    json_decref(details);
  }
  orch_http_response_free(resp);
}

#endif
