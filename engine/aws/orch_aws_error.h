/* orch_aws_error: what an AWS call failure looks like to callers: the service's error code and
 * message, HTTP status, request id, and the retry classification. Filled by the protocol parser
 * (from the wire), by the client (transport failures, retries exhausted) and by the simulator (to
 * write errors). Uses nothing else. */
#ifndef ORCH_AWS_ERROR_H
#define ORCH_AWS_ERROR_H

#include <stdbool.h>
#include <stdint.h>

struct orch_aws_error {
  char code[128];       /* "ThrottlingException", "ConflictException", "RequestTimeout" ... */
  char message[1024];
  int http_status;      /* 0 when no response was received */
  char request_id[128];
  bool retryable;       /* the standard retry strategy would retry it */
  bool throttling;      /* a throttling error: the rate limiter slows down */
  int64_t retry_after_ms; /* from Retry-After (DRS), -1 when absent */
};

/* Classification per the SDKs' standard retry mode: throttling codes, transient codes, 5xx status. */
void orch_aws_error_classify(struct orch_aws_error *e);

#endif
