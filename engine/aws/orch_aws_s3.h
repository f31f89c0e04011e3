/* orch_aws_s3: what S3 asks of a client beyond its rest-xml model: bucket addressing (virtual-hosted style,
 * bucket.s3.<region>.amazonaws.com/key, when the bucket name allows it; path style, /bucket/key, when it
 * does not, when the endpoint is an IP address, or when asked) and the signing rules (x-amz-content-sha256,
 * the path signed as sent). Uses orch_aws_model, orch_http, orch_buf, jansson. */
#ifndef ORCH_AWS_S3_H
#define ORCH_AWS_S3_H

#include <jansson.h>
#include <stdbool.h>

#include "aws/orch_aws_model.h"
#include "aws/orch_http.h"
#include "core/orch_buf.h"
#include "core/orch_error.h"

/* Is `svc` S3 (signing name "s3")? Its requests sign their payload hash and their path as sent. */
bool orch_aws_s3_is(const struct orch_aws_service *svc);

/* Can `bucket` be a DNS label of a virtual-hosted URL? 3-63 characters of a-z, 0-9, '-' and '.', starting and
 * ending with a letter or digit, no "..", not an IP address; over https no '.' (the certificate's wildcard
 * covers one label). */
bool orch_aws_s3_virtual_hostable(const char *bucket, bool https);

/* Rewrite a built request of an S3 operation whose path starts with its {Bucket} label to virtual-hosted
 * style: `url` (the endpoint, "https://s3.us-east-1.amazonaws.com") gains the bucket before its host and the
 * request's path loses "/<bucket>". Left in path style when `force_path_style`, when the endpoint's host is
 * an IP address, or when the bucket is not virtual-hostable. */
int orch_aws_s3_address(const struct orch_aws_operation *op, const json_t *input, bool force_path_style,
                        struct orch_buf *url, struct orch_http_request *req, struct orch_error *err) ORCH_MUST_CHECK;

#endif
