/* fuzz_xml_response: the query/ec2 XML response and error parsers on hostile bodies. The first byte picks
 * the operation and the status (success or error path); the rest is the body. Any outcome but a clean
 * 0 / ORCH_EAWS / ORCH_EPARSE / ORCH_ETOOBIG (or a leak, or a sanitizer report) is a bug.
 * Uses orch_aws_proto. */
#include <stdint.h>
#include <stdlib.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const ops[][2] = {{"sts", "AssumeRole"},        {"ec2", "DescribeInstances"},
                                       {"sns", "Publish"},           {"ec2", "DescribeSecurityGroups"},
                                       {"sts", "GetCallerIdentity"}, {"ec2", "DescribeLaunchTemplateVersions"}};
  if (size < 1) return 0;
  const char *const *pick = ops[data[0] % 6];
  const struct orch_aws_operation *op = orch_aws_model_operation(orch_aws_model_service(pick[0]), pick[1]);
  if (!op) abort();
  struct orch_http_response resp = {.status = (data[0] & 0x80) ? 400 : 200};
  if (orch_buf_append(&resp.body, data + 1, size - 1) || orch_http_headers_set(&resp.headers, "Content-Type", "text/xml"))
    abort();
  json_t *out = NULL;
  struct orch_aws_error aerr;
  struct orch_error err = {0};
  int rc = orch_aws_proto_parse_response(op, &resp, &out, &aerr, &err);
  if (rc != 0 && rc != ORCH_EAWS && rc != ORCH_EPARSE && rc != ORCH_ETOOBIG) abort();
  if ((rc == 0) != (out != NULL)) abort();
  json_decref(out);
  if (rc == ORCH_EAWS) {
    json_t *details = NULL;
    if (orch_aws_proto_parse_error_details(op, &resp, &details, &err) == 0 && !details) abort();
    json_decref(details);
  }
  orch_http_response_free(&resp);
  return 0;
}
