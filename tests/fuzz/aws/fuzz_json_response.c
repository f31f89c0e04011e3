/* fuzz_json_response: the rest-json and JSON 1.0/1.1 response and error parsers, and the simulator's
 * JSON request decoder, on hostile bodies. The first byte picks the operation, the status (success or
 * error path) and whether the body goes through parse_request instead. Uses orch_aws_proto. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "aws/orch_aws_proto_int.h"
#include "core/orch_json.h"
#include "fuzz_aws_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void server_side(const struct orch_aws_operation *op, const uint8_t *data, size_t size) {
  const struct orch_aws_service *svc = orch_aws_operation_service(op);
  struct orch_http_request req = {0};
  snprintf(req.method, sizeof req.method, "POST");
  char target[256];
  snprintf(target, sizeof target, "%s.%s", orch_aws_service_target_prefix(svc) ? orch_aws_service_target_prefix(svc) : "",
           orch_aws_operation_name(op));
  char path[256];
  snprintf(path, sizeof path, "/%s", orch_aws_operation_name(op));
  if (orch_http_request_set_target(&req, path, "") || orch_http_headers_set(&req.headers, "X-Amz-Target", target) ||
      orch_buf_append(&req.body, data, size))
    abort();
  const struct orch_aws_operation *got = NULL;
  json_t *input = NULL;
  struct orch_aws_error aerr;
  int rc = orch_aws_proto_parse_request(svc, &req, &got, &input, &aerr);
  if (rc != 0 && rc != ORCH_EAWS) abort();
  if ((rc == 0) != (input != NULL)) abort();
  json_decref(input);
  orch_http_request_free(&req);
}

/* Differential: the one-pass reader must agree with jansson's parse followed by the decoder. */
static void differential(const struct orch_aws_operation *op, const uint8_t *data, size_t size) {
  const struct orch_aws_member *m = &op->output;
  if (!m->shape) return;
  json_t *a = NULL, *wire = NULL, *b = NULL;
  struct orch_error e1 = {0}, e2 = {0};
  int ra = orch_aws_json_read(m, (const char *)data, size, ORCH_AWS_JSON_KEEP_UNKNOWN, "body", &a, &e1);
  wire = orch_json_parse((const char *)data, size, 0, &e2);
  int rb = wire ? orch_aws_json_decode(m, wire, ORCH_AWS_JSON_KEEP_UNKNOWN, &b, &e2) : ORCH_EPARSE;
  if ((ra == 0) != (rb == 0)) {
    fprintf(stderr, "reader %d (%s) vs jansson+decode %d (%s)\n", ra, e1.message, rb, e2.message);
    abort();
  }
  /* With duplicate keys the two may keep different ones; compare only texts without them. */
  json_t *strict = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  bool dups = wire && !strict;
  json_decref(strict);
  if (ra == 0 && !dups && !json_equal(a, b)) {
    char *x = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS), *y = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
    fprintf(stderr, "reader and jansson+decode differ on [%.*s]:\n  %s\n  %s\n", (int)size, (const char *)data, x, y);
    abort();
  }
  json_decref(a);
  json_decref(b);
  json_decref(wire);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const ops[][2] = {{"drs", "DescribeJobs"},         {"drs", "StartRecovery"},
                                       {"ssm", "GetCommandInvocation"}, {"dynamodb", "Query"},
                                       {"service-quotas", "ListServiceQuotas"}, {"drs", "DescribeSourceServers"}};
  if (size < 1) return 0;
  const struct orch_aws_operation *op = fuzz_aws_pick(ops, data[0]);
  if (data[0] & 0x20) differential(op, data + 1, size - 1);
  if (data[0] & 0x40) {
    server_side(op, data + 1, size - 1);
    return 0;
  }
  struct orch_http_response resp = {.status = (data[0] & 0x80) ? 409 : 200};
  if (orch_buf_append(&resp.body, data + 1, size - 1)) abort();
  fuzz_aws_parse_response(op, &resp);
  return 0;
}
