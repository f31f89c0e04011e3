/* fuzz_xml_response: the query/ec2 XML response and error parsers on hostile bodies. The first byte picks
 * the operation and the status (success or error path); the rest is the body. Any outcome but a clean
 * 0 / ORCH_EAWS / ORCH_EPARSE / ORCH_ETOOBIG (or a leak, or a sanitizer report) is a bug.
 * Uses orch_aws_proto. */
#include <stdint.h>
#include <stdlib.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_aws_proto.h"
#include "fuzz_aws_response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const ops[][2] = {{"sts", "AssumeRole"},        {"ec2", "DescribeInstances"},
                                       {"sns", "Publish"},           {"ec2", "DescribeSecurityGroups"},
                                       {"sts", "GetCallerIdentity"}, {"ec2", "DescribeLaunchTemplateVersions"}};
  if (size < 1) return 0;
  const struct orch_aws_operation *op = fuzz_aws_pick(ops, data[0]);
  struct orch_http_response resp = {.status = (data[0] & 0x80) ? 400 : 200};
  if (orch_buf_append(&resp.body, data + 1, size - 1) || orch_http_headers_set(&resp.headers, "Content-Type", "text/xml"))
    abort();
  fuzz_aws_parse_response(op, &resp);
  return 0;
}
