/* orch_aws_proto: the model-driven wire protocols (rest-json, JSON 1.0/1.1, query, ec2) in both
 * directions, sharing one walk over shapes: a client builds requests and parses responses; the
 * simulator parses requests and builds responses and errors. Input is validated against the model
 * before anything is sent. Values cross this boundary as jansson JSON with the model's member names
 * (timestamps as ISO-8601 strings, blobs as base64 strings). Uses orch_aws_model, orch_http,
 * orch_aws_error, jansson, libxml2 (XML responses), orch_core. */
#ifndef ORCH_AWS_PROTO_H
#define ORCH_AWS_PROTO_H

#include <jansson.h>
#include <stdarg.h>

#include "aws/orch_aws_error.h"
#include "aws/orch_aws_model.h"
#include "aws/orch_http.h"
#include "core/orch_buf.h"
#include "core/orch_error.h"

/* Base64 (RFC 4648, padded) of n bytes appended to out: how a blob member (an S3 object's Body) is given
 * in an input. Decode is strict (padding optional, whitespace refused): ORCH_EPARSE when not base64. */
int orch_aws_b64_encode(struct orch_buf *out, const void *data, size_t n) ORCH_MUST_CHECK;
int orch_aws_b64_decode(struct orch_buf *out, const char *s, size_t n) ORCH_MUST_CHECK;

/* Check `input` against the operation's input shape: unknown members (with the nearest valid name),
 * missing required members, wrong types, enum values, length/range constraints. ORCH_EVALIDATION with
 * err->context the member path ("sourceServers[3].sourceServerID"). */
int orch_aws_proto_validate_input(const struct orch_aws_operation *op, const json_t *input,
                                  struct orch_error *err) ORCH_MUST_CHECK;

/* Client direction. build: method, path, query, protocol headers (Content-Type, X-Amz-Target) and
 * body; not Host and not signing. parse: a 2xx response into `*output` (caller owns; unknown members
 * kept, unknown enum values tolerated); an error response (or a 200 whose body is an error) into
 * `aerr` and returns ORCH_EAWS; a malformed body is ORCH_EPARSE with `err` naming what was wrong. */
int orch_aws_proto_build_request(const struct orch_aws_operation *op, const json_t *input,
                                 struct orch_http_request *req, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_proto_parse_response(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                  json_t **output, struct orch_aws_error *aerr, struct orch_error *err)
    ORCH_MUST_CHECK;

/* Server direction (the simulator). parse_request finds the operation (by X-Amz-Target, Action, or
 * the rest-json route) and decodes its input; a request the protocol cannot decode fills `aerr` with
 * the error AWS returns for it (e.g. SerializationException, InvalidAction, ValidationException) and
 * returns ORCH_EAWS. build_response writes a success; build_error writes `aerr` in the protocol's
 * error format with its status. */
int orch_aws_proto_parse_request(const struct orch_aws_service *svc, const struct orch_http_request *req,
                                 const struct orch_aws_operation **op, json_t **input,
                                 struct orch_aws_error *aerr) ORCH_MUST_CHECK;
int orch_aws_proto_build_response(const struct orch_aws_operation *op, const json_t *output,
                                  struct orch_http_response *resp, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_proto_build_error(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                               struct orch_http_response *resp, struct orch_error *err) ORCH_MUST_CHECK;
/* Server: fill `aerr` with an error to answer (code, printf-style message, HTTP status), leaving its
 * other fields as they are; returns ORCH_EAWS. The codecs and the simulator's handlers use it. */
int orch_aws_proto_vreject(struct orch_aws_error *aerr, int status, const char *code, const char *fmt, va_list ap)
    ORCH_PRINTF(4, 0);

/* Added after the first draft (backward compatible).
 * Client: the modeled members of an error response (DRS ConflictException's conflictingItems,
 * ValidationException's fieldList, ...), as our JSON in `*details` (caller owns; an empty object when
 * the error is not modeled). Call it on a response parse_response turned into ORCH_EAWS.
 * Server: build_error plus those modeled members (`details` may be NULL). Both take the request id from
 * aerr->request_id, else from an x-amzn-RequestId header already on `resp`, else make a UUID; the same
 * rule gives build_response its request id (query/ec2 bodies carry it too). */
int orch_aws_proto_parse_error_details(const struct orch_aws_operation *op, const struct orch_http_response *resp,
                                       json_t **details, struct orch_error *err) ORCH_MUST_CHECK;
int orch_aws_proto_build_error_ex(const struct orch_aws_service *svc, const struct orch_aws_error *aerr,
                                  const json_t *details, struct orch_http_response *resp, struct orch_error *err)
    ORCH_MUST_CHECK;
/* Client: the prefix an operation puts before the endpoint host (its model's endpoint.hostPrefix, with
 * {labels} filled from the input's hostLabel members), e.g. "foo.bar."; "" for nearly every operation.
 * None of the operations in operations.txt has one today. */
int orch_aws_proto_host_prefix(const struct orch_aws_operation *op, const json_t *input, char *out, size_t outsz,
                               struct orch_error *err) ORCH_MUST_CHECK;

#endif
